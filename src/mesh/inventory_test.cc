#include "mesh/inventory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mesh/mesh_test_support.h"

namespace wgd::mesh {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using test::kSeedInventory;
using test::must_parse;

const char kMesh[] =
    "[mesh]\n"                       // 1
    "ipv4 = 10.10.0.0/24\n"          // 2
    "ipv6 = fd00:10::/64\n";         // 3
const char kTwoHosts[] =
    "[host a]\n"                     // 4
    "endpoint = 192.0.2.1\n"         // 5
    "[host b]\n"                     // 6
    "endpoint = 192.0.2.2\n";        // 7

// The error message of parsing `text` (failing the test if it parses).
std::string error_of(const std::string& text) {
  auto inv = parse_inventory(text, "mesh.ini");
  if (inv) {
    ADD_FAILURE() << "parsed, but must not:\n" << text;
    return {};
  }
  return inv.error().message;
}

TEST(Inventory, SeedExample) {
  Inventory inv = must_parse(kSeedInventory);
  EXPECT_EQ(inv.name, "example");
  EXPECT_EQ(inv.ipv4_subnet.to_string(), "10.195.171.0/24");
  EXPECT_EQ(inv.ipv6_mode, Ipv6Mode::kFixed);
  EXPECT_EQ(inv.ipv6_prefix->to_string(), "fdc1:d89e:b128:6a04::/64");
  EXPECT_EQ(inv.listen_port, 55867);
  EXPECT_EQ(inv.domain, "example.net");
  EXPECT_EQ(inv.interface, "wg0");
  EXPECT_EQ(inv.persistent_keepalive, 25);
  ASSERT_EQ(inv.hosts.size(), 4u);
  const InventoryHost& dolores = inv.hosts[0];
  EXPECT_EQ(dolores.name, "dolores");
  EXPECT_EQ(dolores.endpoint->host, "203.0.113.54");
  EXPECT_FALSE(dolores.endpoint->port);
  EXPECT_EQ(dolores.ipv4->to_string(), "10.195.171.142");
  EXPECT_EQ(dolores.ipv6->to_string(), "fdc1:d89e:b128:6a04::7de4");
  EXPECT_EQ(dolores.comment, "Hetzner, San Francisco");
  EXPECT_EQ(inv.public_name(dolores), "dolores.example.net");
  EXPECT_EQ(inv.hosts[2].endpoint->port, 55867);
  const InventoryHost& charlotte = inv.hosts[3];
  EXPECT_FALSE(charlotte.endpoint);
  ASSERT_EQ(charlotte.subnets.size(), 2u);
  EXPECT_EQ(charlotte.subnets[0].to_string(), "172.27.88.0/24");
  EXPECT_EQ(charlotte.subnets[1].to_string(), "fdc1:d89e:b128:13a6::/64");
  EXPECT_EQ(charlotte.line, 24);
  EXPECT_EQ(charlotte.line_of("subnets"), 26);
  EXPECT_EQ(charlotte.line_of("endpoint"), 24);
}

TEST(Inventory, DefaultsAndSpellings) {
  Inventory inv = must_parse(
      "[MESH]\nIPv4 = 10.0.0.0/8\n"
      "[Host A]\nEndpoint = Host-A.Example.Net:51000\nSubnets = 192.168.1.0/24\n"
      "subnets = 192.168.2.0/24,192.168.3.0/24\n"
      "[host b]\nendpoint = dynamic\n");
  EXPECT_EQ(inv.ipv6_mode, Ipv6Mode::kAuto);
  EXPECT_FALSE(inv.listen_port);
  EXPECT_EQ(inv.hosts[0].name, "a");
  EXPECT_EQ(inv.hosts[0].endpoint->host, "host-a.example.net");
  EXPECT_EQ(inv.hosts[0].subnets.size(), 3u);  // subnets accumulate
  EXPECT_FALSE(inv.hosts[1].endpoint);
  EXPECT_EQ(inv.public_name(inv.hosts[1]), "b");

  Inventory off = must_parse(std::string("[mesh]\nipv4 = 10.0.0.0/24\nipv6 = off\n"
                                         "listen_port = random\npersistent_keepalive = off\n"
                                         "interface = wg-mesh\noutput = /srv/mesh\n") +
                             kTwoHosts);
  EXPECT_EQ(off.ipv6_mode, Ipv6Mode::kOff);
  EXPECT_EQ(off.persistent_keepalive, 0);
  EXPECT_EQ(off.interface, "wg-mesh");
  EXPECT_EQ(off.output, "/srv/mesh");
}

TEST(Inventory, DuplicateNamesAreCaseInsensitive) {
  const std::string m = error_of(std::string(kMesh) + kTwoHosts + "[host A]\nendpoint = 192.0.2.3\n");
  EXPECT_THAT(m, HasSubstr("mesh.ini:8: [host A]: a second host of that name (the first is at "
                           "line 4; names are case-insensitive)"));
}

TEST(Inventory, SyntaxAndValueErrorsNameFileLineAndKey) {
  struct Case {
    std::string text;
    std::string error;
  } cases[] = {
      {std::string(kTwoHosts), "mesh.ini:1: no [mesh] section"},
      {"[mesh]\nname = x\n" + std::string(kTwoHosts), "mesh.ini:1: [mesh] ipv4: missing"},
      {std::string(kMesh) + "[mesh]\n" + kTwoHosts, "mesh.ini:4: a second [mesh] section (the first is at line 1)"},
      {"[mesh x]\nipv4 = 10.0.0.0/24\n" + std::string(kTwoHosts), "mesh.ini:1: [mesh] takes no name"},
      {std::string(kMesh) + "[peer x]\n" + kTwoHosts, "mesh.ini:4: unknown section [peer]"},
      {std::string(kMesh) + "colour = blue\n" + kTwoHosts, "mesh.ini:4: [mesh] colour: unknown key (known: "},
      {std::string(kMesh) + "ipv4 = 10.20.0.0/24\n" + kTwoHosts, "mesh.ini:4: [mesh] ipv4: given twice (first at line 2)"},
      {"[mesh]\nipv4 = 10.0.0.1/24\n" + std::string(kTwoHosts), "mesh.ini:2: [mesh] ipv4: '10.0.0.1/24' has host bits set; did you mean 10.0.0.0/24?"},
      {"[mesh]\nipv4 = 10.0.0.0/31\n" + std::string(kTwoHosts), "mesh.ini:2: [mesh] ipv4: 10.0.0.0/31: the length must be 1-30"},
      {"[mesh]\nipv4 = fd00::/64\n" + std::string(kTwoHosts), "mesh.ini:2: [mesh] ipv4: 'fd00::/64' is not an IPv4 prefix"},
      {"[mesh]\nipv4 = 10.0.0.0/24\nipv6 = maybe\n" + std::string(kTwoHosts), "mesh.ini:3: [mesh] ipv6: 'maybe' is not an address prefix such as 10.0.0.0/24 (or 'auto'"},
      {"[mesh]\nipv4 = 10.0.0.0/24\nipv6 = fd00::/127\n" + std::string(kTwoHosts), "mesh.ini:3: [mesh] ipv6: fd00::/127: the length must be 1-126"},
      {std::string(kMesh) + "listen_port = 0\n" + kTwoHosts, "mesh.ini:4: [mesh] listen_port: '0' is not a port number 1-65535 (or 'random')"},
      {std::string(kMesh) + "listen_port = 65536\n" + kTwoHosts, "mesh.ini:4: [mesh] listen_port: '65536' is not a port number"},
      {std::string(kMesh) + "domain = not a domain\n" + kTwoHosts, "mesh.ini:4: [mesh] domain: 'not a domain' is not a DNS name"},
      {std::string(kMesh) + "interface = sixteen-chars-xx\n" + kTwoHosts, "mesh.ini:4: [mesh] interface: 'sixteen-chars-xx' is not an interface name"},
      {std::string(kMesh) + "persistent_keepalive = 70000\n" + kTwoHosts, "mesh.ini:4: [mesh] persistent_keepalive: '70000' is not a number of seconds"},
      {std::string(kMesh) + "[host]\n" + kTwoHosts, "mesh.ini:4: [host] needs a name"},
      {std::string(kMesh) + "[host dolores.example.net]\n" + kTwoHosts, "mesh.ini:4: [host dolores.example.net]: a host name must be a DNS label"},
      {std::string(kMesh) + kTwoHosts + "listen_port = 99999\n", "mesh.ini:8: [host b] listen_port: '99999' is not a port number 1-65535"},
      {std::string(kMesh) + kTwoHosts + "ipv4 = 10.10.0.5/24\n", "mesh.ini:8: [host b] ipv4: '10.10.0.5/24': write the IPv4 address without a prefix length"},
      {std::string(kMesh) + kTwoHosts + "ipv6 = 10.10.0.5\n", "mesh.ini:8: [host b] ipv6: '10.10.0.5' is not an IPv6 address"},
      {std::string(kMesh) + kTwoHosts + "subnets = 172.16.0.0/12, , 172.16.0.1/12, nonsense\n", "mesh.ini:8: [host b] subnets: an empty list item; '172.16.0.1/12' has host bits set; did you mean 172.16.0.0/12?; 'nonsense' is not an address prefix"},
      {std::string(kMesh) + kTwoHosts + "endpoint = 192.0.2.9\n", "mesh.ini:8: [host b] endpoint: given twice (first at line 7)"},
  };
  for (const auto& c : cases) EXPECT_THAT(error_of(c.text), HasSubstr(c.error)) << c.text;
}

TEST(Inventory, InvalidEndpoints) {
  struct Case {
    std::string endpoint;
    std::string error;
  } cases[] = {
      {"host:port", "mesh.ini:7: [host b] endpoint: port 'port' is not a number"},
      {"192.0.2.2:0", "mesh.ini:7: [host b] endpoint: port 0 is not in 1-65535"},
      {"192.0.2.2:65536", "mesh.ini:7: [host b] endpoint: port 65536 is not in 1-65535"},
      {"", "mesh.ini:7: [host b] endpoint: empty"},
      {"bad host", "mesh.ini:7: [host b] endpoint: 'bad host' is neither an IP address"},
      {"0.0.0.0", "mesh.ini:7: [host b] endpoint: 0.0.0.0 is not a unicast address"},
      {"[ff02::1]:5", "mesh.ini:7: [host b] endpoint: ff02::1 is not a unicast address"},
      {"239.1.1.1", "mesh.ini:7: [host b] endpoint: 239.1.1.1 is not a unicast address"},
      {"10.10.0.7:51820", "mesh.ini:7: [host b] endpoint: 10.10.0.7 is inside the mesh's subnet 10.10.0.0/24: packets to it would be routed into the tunnel they carry"},
      {"[fd00:10::9]:51820", "mesh.ini:7: [host b] endpoint: fd00:10::9 is inside the mesh's IPv6 prefix fd00:10::/64"},
      {"192.0.2.1", "mesh.ini:7: [host b] endpoint: the same host and port as a (line 5)"},
  };
  for (const auto& c : cases) {
    const std::string text = std::string(kMesh) + "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = " + c.endpoint + "\n";
    EXPECT_THAT(error_of(text), HasSubstr(c.error)) << c.endpoint;
  }
  // The same host on another port is another endpoint.
  must_parse(std::string(kMesh) + "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = 192.0.2.1:51821\n");
}

TEST(Inventory, EndpointInsideARoutedSubnet) {
  const std::string m = error_of(std::string(kMesh) +
                                 "[host a]\nendpoint = 172.27.88.20\n"
                                 "[host b]\nendpoint = 192.0.2.2\nsubnets = 172.27.88.0/24\n");
  EXPECT_THAT(m, HasSubstr("mesh.ini:5: [host a] endpoint: 172.27.88.20 is inside the subnet "
                           "behind b 172.27.88.0/24"));
}

TEST(Inventory, SubnetErrors) {
  struct Case {
    std::string subnets_a, subnets_b, error;
  } cases[] = {
      {"172.27.0.0/16", "172.27.88.0/24", "mesh.ini:9: [host b] subnets: 172.27.88.0/24 overlaps 172.27.0.0/16 behind host a (line 6): a packet must have one next host"},
      {"fd00:99::/48", "fd00:99:0:1::/64", "mesh.ini:9: [host b] subnets: fd00:99:0:1::/64 overlaps fd00:99::/48 behind host a (line 6)"},
      {"172.27.0.0/16, 172.27.3.0/24", "192.168.0.0/24", "mesh.ini:6: [host a] subnets: 172.27.3.0/24 overlaps 172.27.0.0/16, listed before"},
      {"10.10.0.128/25", "192.168.0.0/24", "mesh.ini:6: [host a] subnets: 10.10.0.128/25 overlaps the mesh's subnet 10.10.0.0/24"},
      {"10.0.0.0/8", "192.168.0.0/24", "mesh.ini:6: [host a] subnets: 10.0.0.0/8 overlaps the mesh's subnet 10.10.0.0/24"},
      {"fd00:10::/48", "192.168.0.0/24", "mesh.ini:6: [host a] subnets: fd00:10::/48 overlaps the mesh's IPv6 prefix fd00:10::/64"},
      {"0.0.0.0/0", "192.168.0.0/24", "mesh.ini:6: [host a] subnets: 0.0.0.0/0 is a default route, not a subnet"},
  };
  for (const auto& c : cases) {
    const std::string text = std::string(kMesh) + "[host a]\nendpoint = 192.0.2.1\nsubnets = " +
                             c.subnets_a + "\n[host b]\nendpoint = 192.0.2.2\nsubnets = " +
                             c.subnets_b + "\n";
    EXPECT_THAT(error_of(text), HasSubstr(c.error)) << c.subnets_a << " / " << c.subnets_b;
  }
}

TEST(Inventory, FixedAddressErrors) {
  struct Case {
    std::string key_a, key_b, error;
  } cases[] = {
      {"ipv4 = 10.20.0.1", "", "mesh.ini:6: [host a] ipv4: 10.20.0.1 is outside the mesh's subnet 10.10.0.0/24"},
      {"ipv4 = 10.10.0.0", "", "mesh.ini:6: [host a] ipv4: 10.10.0.0 is the network address of 10.10.0.0/24"},
      {"ipv4 = 10.10.0.255", "", "mesh.ini:6: [host a] ipv4: 10.10.0.255 is the broadcast address of 10.10.0.0/24"},
      {"ipv4 = 10.10.0.9", "ipv4 = 10.10.0.9", "mesh.ini:9: [host b] ipv4: 10.10.0.9 is also given to a (line 6)"},
      {"ipv6 = fd00:20::1", "", "mesh.ini:6: [host a] ipv6: fd00:20::1 is outside the mesh's prefix fd00:10::/64"},
      {"ipv6 = fd00:10::", "", "mesh.ini:6: [host a] ipv6: fd00:10:: is the subnet-router anycast address"},
      {"ipv6 = fd00:10::9", "ipv6 = fd00:10::9", "mesh.ini:9: [host b] ipv6: fd00:10::9 is also given to a (line 6)"},
  };
  for (const auto& c : cases) {
    const std::string text = std::string(kMesh) + "[host a]\nendpoint = 192.0.2.1\n" + c.key_a +
                             "\n[host b]\nendpoint = 192.0.2.2\n" + c.key_b + "\n";
    EXPECT_THAT(error_of(text), HasSubstr(c.error)) << c.key_a << " / " << c.key_b;
  }
  EXPECT_THAT(error_of("[mesh]\nipv4 = 10.10.0.0/24\n[host a]\nendpoint = 192.0.2.1\n"
                       "ipv6 = fd00::1\n[host b]\nendpoint = 192.0.2.2\n"),
              HasSubstr("mesh.ini:5: [host a] ipv6: a fixed address needs a fixed prefix; "
                        "[mesh] ipv6 is auto"));
  EXPECT_THAT(error_of("[mesh]\nipv4 = 10.10.0.0/24\nipv6 = off\n[host a]\nendpoint = 192.0.2.1\n"
                       "subnets = 192.168.7.0/24, fd00:7::/64\n[host b]\nendpoint = 192.0.2.2\n"),
              HasSubstr("mesh.ini:6: [host a] subnets: fd00:7::/64 is IPv6, but the mesh has "
                        "ipv6 = off"));
  EXPECT_THAT(error_of("[mesh]\nipv4 = 10.10.0.0/24\nipv6 = off\n[host a]\nendpoint = 192.0.2.1\n"
                       "ipv6 = fd00::1\n[host b]\nendpoint = 192.0.2.2\n"),
              HasSubstr("mesh.ini:6: [host a] ipv6: given, but the mesh has ipv6 = off"));
}

TEST(Inventory, MeshShapeErrors) {
  EXPECT_THAT(error_of(std::string(kMesh) + "[host a]\nendpoint = 192.0.2.1\n"),
              HasSubstr("mesh.ini:1: a mesh needs at least two [host NAME] sections (found 1)"));
  EXPECT_THAT(error_of(std::string(kMesh) + "[host a]\n[host b]\ncomment = x\n"),
              HasSubstr("mesh.ini:4: no host has an endpoint"));
}

TEST(Inventory, EveryErrorAtOnce) {
  const std::string m = error_of(std::string(kMesh) +
                                 "[host a]\nendpoint = 192.0.2.1:0\n"
                                 "[host b]\nendpoint = 192.0.2.2\nipv4 = 10.99.0.1\n"
                                 "subnets = 10.10.0.0/16\n");
  EXPECT_THAT(m, HasSubstr("mesh.ini:5: [host a] endpoint: port 0"));
  // Value errors stop before the rules between hosts, which could only repeat them.
  EXPECT_THAT(m, Not(HasSubstr("[host b] ipv4")));
  const std::string between = error_of(std::string(kMesh) +
                                       "[host a]\nendpoint = 192.0.2.1\n"
                                       "[host b]\nendpoint = 192.0.2.2\nipv4 = 10.99.0.1\n"
                                       "subnets = 10.10.0.0/16\n");
  EXPECT_THAT(between, HasSubstr("mesh.ini:8: [host b] ipv4: 10.99.0.1 is outside"));
  EXPECT_THAT(between, HasSubstr("mesh.ini:9: [host b] subnets: 10.10.0.0/16 overlaps the mesh's subnet"));
  EXPECT_EQ(std::count(between.begin(), between.end(), '\n'), 1);
}

}  // namespace
}  // namespace wgd::mesh
