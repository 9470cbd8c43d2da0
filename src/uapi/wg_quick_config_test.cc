#include "uapi/wg_quick_config.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "uapi/text_formats_test_support.h"

namespace wgd::uapi {
namespace {

using test::public_key;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- seed 002: a mesh of five hosts, the snippets exactly as the document shows them ----

constexpr std::string_view kDoloresInterface =
    R"(    # WireGuard Configuration for dolores.example.net
    # Hetzner, San Francisco

    [Interface]
    PrivateKey = qNoBKylRuEUtBuTANIS6rSZoCqG8cFYzEWeS7fx63Vk=
    ListenPort = 55867
    Address = 10.195.171.142/24, fdc1:d89e:b128:6a04::7de4/64
)";

constexpr std::string_view kMaeveInterface = R"(    ; WireGuard Configuration for maeve.example.net
    ; Rackspace, London

    [Interface]
    PrivateKey = cIsZsNNMJmHSjsi/VBmoJk3DHN+mOG6OY6otkKOqQm4=
    ListenPort = 55867
    Address = 10.195.171.126/24, fdc1:d89e:b128:6a04::2615/64
)";

constexpr std::string_view kCharlotteInterface =
    R"(    ; WireGuard Configuration for charlotte.example.net
    ; Home, Frankfurt

    [Interface]
    PrivateKey = qNoBKylRuEUtBuTANIS6rSZoCqG8cFYzEWeS7fx63Vk=
    ListenPort = 55867
    Address = 
)";

constexpr std::string_view kDoloresPeer = R"(    [Peer]
    #
    # dolores.example.net, Hetzner, San Francisco
    #
    PublicKey = xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCg=
    Endpoint = dolores.example.net:55867
    #
    # Allow dolores.vpn.example.net
    AllowedIPs = 10.195.171.142/32, fdc1:d89e:b128:6a04::7de4/128
)";

constexpr std::string_view kMaevePeer = R"(    [Peer]
    #
    # maeve.example.net, Rackspace, London
    #
    PublicKey = Bj7G2pqXZRjrcBTwOWDrkjcy3PzhhJd3cX8QvBTaRDI=
    Endpoint = maeve.example.net:55867
    #
    # Allow maeve.vpn.example.net
    AllowedIPs = 10.195.171.47/32, fdc1:d89e:b128:6a04::961/128
)";

constexpr std::string_view kBernardPeer = R"(    [Peer]
    #
    # bernard.example.net, Rollernet, Phoenix
    #
    PublicKey = 5SAd89dXTesrxFZpNaRvwL/M11WjuevHJH/7Cv5LI3c=
    Endpoint = bernard.example.net:55867
    #
    # Allow bernard.vpn.example.net
    AllowedIPs = 10.195.171.174/32, fdc1:d89e:b128:6a04::3354/128
)";

constexpr std::string_view kCharlottePeer = R"(    [Peer]
    #
    # charlotte.example.net, Home, Frankfurt
    #
    PublicKey = xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCg=
    Endpoint = charlotte.example.net:55867
    #
    # Allow charlotte.vpn.example.net
    AllowedIPs = 10.195.171.241/32, fdc1:d89e:b128:6a04::29ab/128
    #
    # Allow home.example.net
    AllowedIPs = 172.27.88.0/24, fdc1:d89e:b128:13a6::/64
)";

constexpr std::string_view kTeddyPeer = R"(    [Peer]
    #
    # teddy.example.net, Office, Frankfurt
    #
    PublicKey = 
    Endpoint = teddy.example.net:55867
    #
    # Allow teddy.vpn.example.net
    AllowedIPs = 10.195.171.0/32, fdc1:d89e:b128:6a04::/128
    #
    # Allow office.example.net
    AllowedIPs = 172.27.126.0/24, fdc1:d89e:b128:2615::/64
)";

// Snippets joined by blank lines, as one would paste them into wg0.conf.
std::string file_of(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += "\n";
    out += p;
  }
  return out;
}

// The 1-based number of the `nth` line containing `needle` (so tests need not count by hand).
std::size_t line_of(std::string_view text, std::string_view needle, int nth = 1) {
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    auto nl = text.find('\n');
    // A needle may end in '\n' to match the end of a line.
    std::string line(text.substr(0, nl));
    if ((line + "\n").find(needle) != std::string::npos && --nth == 0) return number;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  ADD_FAILURE() << "no line with " << needle;
  return 0;
}

IpPrefix prefix(std::string_view s) {
  auto p = IpPrefix::parse(s);
  EXPECT_TRUE(p) << s;
  return p.value_or(IpPrefix{});
}

std::string error_of(std::string_view text) {
  auto c = parse_wg_quick(text, "wg0.conf");
  EXPECT_FALSE(c) << "parsed: " << text;
  return c ? std::string() : c.error().message;
}

TEST(WgQuickSeed002, DoloresFileWithTwoPeers) {
  auto text = file_of({kDoloresInterface, kMaevePeer, kBernardPeer});
  auto c = parse_wg_quick(text, "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;

  const auto& itf = c->interface;
  ASSERT_TRUE(itf.private_key);
  // The document's key pairs are consistent: Dolores' private key belongs to the public key that
  // the other hosts list for her.
  EXPECT_EQ(crypto::x25519_public(*itf.private_key),
            public_key("xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCg="));
  EXPECT_EQ(itf.listen_port, 55867);
  EXPECT_FALSE(itf.fwmark);
  EXPECT_THAT(itf.addresses,
              ElementsAre(prefix("10.195.171.142/24"), prefix("fdc1:d89e:b128:6a04::7de4/64")));
  EXPECT_THAT(itf.comments, ElementsAre("WireGuard Configuration for dolores.example.net",
                                        "Hetzner, San Francisco"));

  ASSERT_EQ(c->peers.size(), 2u);
  const auto& maeve = c->peers[0];
  EXPECT_EQ(maeve.public_key, public_key("Bj7G2pqXZRjrcBTwOWDrkjcy3PzhhJd3cX8QvBTaRDI="));
  EXPECT_EQ(maeve.endpoint, "maeve.example.net:55867");  // a name, kept for resolution later
  EXPECT_THAT(maeve.allowed_ips,
              ElementsAre(prefix("10.195.171.47/32"), prefix("fdc1:d89e:b128:6a04::961/128")));
  EXPECT_THAT(maeve.comments, ElementsAre("", "maeve.example.net, Rackspace, London", "", "",
                                          "Allow maeve.vpn.example.net"));
  EXPECT_FALSE(maeve.preshared_key);
  EXPECT_FALSE(maeve.persistent_keepalive);
  EXPECT_EQ(c->peers[1].endpoint, "bernard.example.net:55867");
}

TEST(WgQuickSeed002, SemicolonCommentsAndTwoAllowedIpsLines) {
  auto text = file_of({kMaeveInterface, kCharlottePeer});
  auto c = parse_wg_quick(text, "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_THAT(c->interface.comments,
              ElementsAre("WireGuard Configuration for maeve.example.net", "Rackspace, London"));
  EXPECT_EQ(crypto::x25519_public(*c->interface.private_key),
            public_key("Bj7G2pqXZRjrcBTwOWDrkjcy3PzhhJd3cX8QvBTaRDI="));
  ASSERT_EQ(c->peers.size(), 1u);
  // The second AllowedIPs line appends to the first, as `wg setconf` does.
  EXPECT_THAT(c->peers[0].allowed_ips,
              ElementsAre(prefix("10.195.171.241/32"), prefix("fdc1:d89e:b128:6a04::29ab/128"),
                          prefix("172.27.88.0/24"), prefix("fdc1:d89e:b128:13a6::/64")));
}

TEST(WgQuickSeed002, EmptyAddressIsNoAddress) {
  // wg-quick adds nothing for "Address = " (bash word splitting of an empty value).
  auto c = parse_wg_quick(kCharlotteInterface, "charlotte.conf");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->interface.addresses.empty());
  EXPECT_EQ(c->interface.listen_port, 55867);
}

TEST(WgQuickSeed002, TeddyHasNoPublicKey) {
  auto text = file_of({kMaeveInterface, kBernardPeer, kTeddyPeer});
  EXPECT_EQ(error_of(text),
            fmt::format("wg0.conf:{}: PublicKey: missing value", line_of(text, "PublicKey = \n")));
  // Without the empty line at all, the peer section itself is reported.
  std::string no_key_line = text;
  no_key_line.erase(no_key_line.find("    PublicKey = \n"), 17);
  EXPECT_EQ(error_of(no_key_line), fmt::format("wg0.conf:{}: [Peer]: missing PublicKey",
                                               line_of(no_key_line, "[Peer]", 2)));
}

TEST(WgQuickSeed002, DoloresAndCharlotteShareAPublicKey) {
  // Pasting every other host's [Peer] into Maeve's file trips over the document's copy-paste
  // slip: Charlotte's section carries Dolores' public key.
  auto text = file_of({kMaeveInterface, kDoloresPeer, kBernardPeer, kCharlottePeer});
  EXPECT_EQ(error_of(text),
            fmt::format("wg0.conf:{}: PublicKey: the same key as the peer at line {}",
                        line_of(text, "PublicKey = xFXz", 2), line_of(text, "PublicKey = xFXz")));
}

TEST(WgQuickSeed002, CharlotteWouldPeerWithHerself) {
  // Charlotte's [Interface] reuses Dolores' private key, so her own [Peer] entry (Dolores' public
  // key) points at herself; the kernel silently ignores such a peer, we say so.
  auto text = file_of({kCharlotteInterface, kMaevePeer, kCharlottePeer});
  EXPECT_EQ(error_of(text),
            fmt::format("wg0.conf:{}: PublicKey: the interface's own public key (PrivateKey at "
                        "line {}); a host is not its own peer",
                        line_of(text, "PublicKey = xFXz"), line_of(text, "PrivateKey")));
}

// ---- seed 003: the VPN enabler's client and server files ----

constexpr std::string_view kSeed003Client = R"([Interface]
PrivateKey = YDhkBXyym+L255TwBGHWXXWcaMqaGqlJLLyc4XyyE18=
Address = 192.168.2.56/32

[Peer]
PublicKey = iJT+CW4QoWNDIDo763CPx1TZ3x9bSNTN5t0uQbzo5jo=
PresharedKey = FIOSD2ErZISlHwFsBRK5RVyd7ENhvJ4x3W101BoewqQ=
AllowedIPs = 0.0.0.0/0,::/0
Endpoint = 192.168.1.67:51820
PersistentKeepalive = 25
)";

constexpr std::string_view kSeed003Server = R"([Interface]
Address = 192.168.2.1/24
PostUp = iptables -A FORWARD -i wg0 -j ACCEPT; iptables -t nat -A POSTROUTING -o ens18 -j MASQUERADE
PostDown = iptables -D FORWARD -i wg0 -j ACCEPT; iptables -t nat -D POSTROUTING -o ens18 -j MASQUERADE
ListenPort = 51820
PrivateKey = qAuVUEbmcI3ofLsjJmQ6+RtEejoNX+WHs7QOsIccn0Y=
)";

TEST(WgQuickSeed003, ClientConfig) {
  auto c = parse_wg_quick(kSeed003Client, "client.conf");
  ASSERT_TRUE(c) << c.error().message;
  // The /keys response pairs this private key with "RfGg...".
  EXPECT_EQ(crypto::x25519_public(*c->interface.private_key),
            public_key("RfGgIjkPJC9U6b0OE8UHdnJwAA4hCV1FfQOX1/FaIzo="));
  EXPECT_THAT(c->interface.addresses, ElementsAre(prefix("192.168.2.56/32")));
  ASSERT_EQ(c->peers.size(), 1u);
  const auto& server = c->peers[0];
  ASSERT_TRUE(server.preshared_key);
  EXPECT_EQ(crypto::key_to_base64(server.preshared_key->span()),
            "FIOSD2ErZISlHwFsBRK5RVyd7ENhvJ4x3W101BoewqQ=");
  EXPECT_THAT(server.allowed_ips, ElementsAre(prefix("0.0.0.0/0"), prefix("::/0")));
  EXPECT_EQ(server.endpoint, "192.168.1.67:51820");
  EXPECT_EQ(server.persistent_keepalive, 25);
}

TEST(WgQuickSeed003, ServerConfigKeepsHooksWhole) {
  auto c = parse_wg_quick(kSeed003Server, "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;
  // The client's peer entry is this server's public key.
  EXPECT_EQ(crypto::x25519_public(*c->interface.private_key),
            public_key("iJT+CW4QoWNDIDo763CPx1TZ3x9bSNTN5t0uQbzo5jo="));
  EXPECT_THAT(c->interface.post_up,
              ElementsAre("iptables -A FORWARD -i wg0 -j ACCEPT; iptables -t nat -A POSTROUTING -o "
                          "ens18 -j MASQUERADE"));
  EXPECT_THAT(c->interface.post_down,
              ElementsAre("iptables -D FORWARD -i wg0 -j ACCEPT; iptables -t nat -D POSTROUTING -o "
                          "ens18 -j MASQUERADE"));
  EXPECT_EQ(c->interface.listen_port, 51820);
  EXPECT_THAT(c->interface.addresses, ElementsAre(prefix("192.168.2.1/24")));
}

TEST(WgQuickSeed003, UnfilledTemplateIsRejectedWithoutEchoingIt) {
  std::string text = "[Interface]\nPrivateKey = <wg_client_private_key>\n";
  auto msg = error_of(text);
  EXPECT_EQ(msg, "wg0.conf:2: PrivateKey: value is not a valid base64 key");
}

// ---- syntax ----

constexpr std::string_view kPriv = "qNoBKylRuEUtBuTANIS6rSZoCqG8cFYzEWeS7fx63Vk=";
constexpr std::string_view kPsk = "FIOSD2ErZISlHwFsBRK5RVyd7ENhvJ4x3W101BoewqQ=";
constexpr std::string_view kPeerA = "Bj7G2pqXZRjrcBTwOWDrkjcy3PzhhJd3cX8QvBTaRDI=";
constexpr std::string_view kPeerB = "5SAd89dXTesrxFZpNaRvwL/M11WjuevHJH/7Cv5LI3c=";

TEST(WgQuickParse, CaseBlanksCommentsAndCrlf) {
  std::string text = fmt::format(
      "[interface]\r\n"
      "\tprivatekey={}\r\n"
      "  LISTENPORT   =   51820   # the port\r\n"
      "fwmark = 0x10\r\n"
      "[ PEER ]\r\n"
      "publickey = {}\r\n"
      "allowedips = 10.0.0.0/8 , fd00::/8   \r\n"
      "ENDPOINT = [2001:db8::1]:51820\r\n"
      "persistentKEEPALIVE = off\r\n",
      kPriv, kPeerA);
  auto c = parse_wg_quick(text, "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->interface.listen_port, 51820);
  EXPECT_EQ(c->interface.fwmark, 16u);
  ASSERT_EQ(c->peers.size(), 1u);
  EXPECT_THAT(c->peers[0].allowed_ips, ElementsAre(prefix("10.0.0.0/8"), prefix("fd00::/8")));
  EXPECT_EQ(c->peers[0].endpoint, "[2001:db8::1]:51820");
  EXPECT_EQ(c->peers[0].persistent_keepalive, 0);
}

TEST(WgQuickParse, ByteOrderMarkIsSkipped) {
  auto c =
      parse_wg_quick(fmt::format("\xEF\xBB\xBF[Interface]\nPrivateKey = {}\n", kPriv), "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->interface.private_key);
}

TEST(WgQuickParse, EmptyFileAndOnlyComments) {
  auto empty = parse_wg_quick("", "wg0.conf");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->peers.empty());
  EXPECT_FALSE(empty->interface.private_key);
  auto comments = parse_wg_quick("# just a note\n\n; another\n", "wg0.conf");
  ASSERT_TRUE(comments);
  EXPECT_THAT(comments->interface.comments, ElementsAre("just a note", "another"));
}

TEST(WgQuickParse, WgQuickKeys) {
  std::string text = fmt::format(R"([Interface]
PrivateKey = {}
Address = 10.0.0.1/24, fd00::1/64
Address = 10.0.1.1 192.0.2.7/32
DNS = 1.1.1.1, 2606:4700:4700::1111 example.com,~corp.example
MTU = 1420
Table = 1234
PreUp = echo pre-up %i
PostUp = iptables -A FORWARD -i %i -j ACCEPT # '#' stays part of the command
PostUp = echo second
PreDown = echo pre-down
PostDown = logger "wg down"
PostDown =
SaveConfig = True
)",
                                 kPriv);
  auto c = parse_wg_quick(text, "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;
  const auto& i = c->interface;
  // Host bits are kept (they are the interface's own address); a bare address is a /32.
  EXPECT_THAT(i.addresses, ElementsAre(prefix("10.0.0.1/24"), prefix("fd00::1/64"),
                                       prefix("10.0.1.1/32"), prefix("192.0.2.7/32")));
  EXPECT_THAT(i.dns_servers,
              ElementsAre(*IpAddress::parse("1.1.1.1"), *IpAddress::parse("2606:4700:4700::1111")));
  EXPECT_THAT(i.dns_search, ElementsAre("example.com", "~corp.example"));
  EXPECT_EQ(i.mtu, 1420u);
  ASSERT_TRUE(i.table);
  EXPECT_EQ(i.table->kind, RouteTable::Kind::kNumber);
  EXPECT_EQ(i.table->number, 1234u);
  EXPECT_THAT(i.pre_up, ElementsAre("echo pre-up %i"));
  EXPECT_THAT(i.post_up,
              ElementsAre("iptables -A FORWARD -i %i -j ACCEPT # '#' stays part of the command",
                          "echo second"));
  EXPECT_THAT(i.pre_down, ElementsAre("echo pre-down"));
  EXPECT_THAT(i.post_down, ElementsAre("logger \"wg down\""));  // the empty one runs nothing
  EXPECT_TRUE(i.save_config);
}

TEST(WgQuickParse, TableForms) {
  auto table_of = [](std::string_view v) {
    auto c = parse_wg_quick(fmt::format("[Interface]\nTable = {}\n", v), "wg0.conf");
    EXPECT_TRUE(c) << c.error().message;
    return c ? c->interface.table : std::nullopt;
  };
  EXPECT_EQ(table_of("auto")->kind, RouteTable::Kind::kAuto);
  EXPECT_EQ(table_of("Off")->kind, RouteTable::Kind::kOff);
  EXPECT_EQ(table_of("4294967295")->number, 4294967295u);
  EXPECT_EQ(table_of("vpn-out")->kind, RouteTable::Kind::kName);
  EXPECT_EQ(table_of("vpn-out")->name, "vpn-out");
  EXPECT_FALSE(table_of(""));  // wg-quick: empty means auto
}

TEST(WgQuickParse, RepeatedSingleKeysLastOneWins) {
  auto c = parse_wg_quick("[Interface]\nListenPort = 1\nListenPort = 2\nMTU = 1400\nMTU =\n",
                          "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->interface.listen_port, 2);
  EXPECT_FALSE(c->interface.mtu);
}

TEST(WgQuickParse, FwMarkAndKeepaliveForms) {
  auto mark = [](std::string_view v) -> std::optional<std::uint32_t> {
    auto c = parse_wg_quick(fmt::format("[Interface]\nFwMark = {}\n", v), "wg0.conf");
    return c ? c->interface.fwmark : std::nullopt;
  };
  EXPECT_EQ(mark("off"), 0u);
  EXPECT_EQ(mark("OFF"), 0u);
  EXPECT_EQ(mark("0"), 0u);
  EXPECT_EQ(mark("51820"), 51820u);
  EXPECT_EQ(mark("0xca6c"), 0xca6cu);
  EXPECT_EQ(mark("0xffffffff"), 0xffffffffu);
  EXPECT_EQ(mark("4294967295"), 0xffffffffu);
  EXPECT_FALSE(mark("0X10"));  // wg only knows the lowercase prefix
  EXPECT_FALSE(mark("0x100000000"));
  EXPECT_FALSE(mark("4294967296"));
  EXPECT_FALSE(mark("12ab"));
  EXPECT_FALSE(mark("-1"));
  EXPECT_FALSE(mark("0x"));

  auto keepalive = [](std::string_view v) -> std::optional<std::uint16_t> {
    auto c = parse_wg_quick(
        fmt::format("[Peer]\nPublicKey = {}\nPersistentKeepalive = {}\n", kPeerA, v), "wg0.conf");
    return c ? c->peers[0].persistent_keepalive : std::nullopt;
  };
  EXPECT_EQ(keepalive("25"), 25);
  EXPECT_EQ(keepalive("0"), 0);
  EXPECT_EQ(keepalive("Off"), 0);
  EXPECT_EQ(keepalive("65535"), 65535);
  EXPECT_FALSE(keepalive("65536"));
  EXPECT_FALSE(keepalive("+5"));
}

TEST(WgQuickParse, CommentsBelongToTheSectionThatFollowsThem) {
  std::string text = fmt::format(R"(# file header
[Interface]
PrivateKey = {}
# trailing interface note goes to the next peer

# alice, home
[Peer]
PublicKey = {}
# inside the section
AllowedIPs = 10.0.0.2/32
[Peer]
PublicKey = {}
# the very end
)",
                                 kPriv, kPeerA, kPeerB);
  auto c = parse_wg_quick(text, "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_THAT(c->interface.comments, ElementsAre("file header"));
  EXPECT_THAT(c->peers[0].comments, ElementsAre("trailing interface note goes to the next peer",
                                                "alice, home", "inside the section"));
  EXPECT_THAT(c->peers[1].comments, ElementsAre("the very end"));
}

// ---- every error class: file, line and key, never key material ----

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(WgQuickErrors, EveryClassNamesFileLineAndKey) {
  const std::string itf = fmt::format("[Interface]\nPrivateKey = {}\n", kPriv);  // lines 1-2
  const std::string peer = fmt::format("[Peer]\nPublicKey = {}\n", kPeerA);      // lines 3-4
  const std::vector<ErrorCase> cases = {
      {"ListenPort = 1\n",
       "wg0.conf:1: ListenPort: appears before any [Interface] or [Peer] header"},
      {"Nonsense = 1\n", "wg0.conf:1: unknown key 'Nonsense'"},
      {itf + "Foo = bar\n", "wg0.conf:3: unknown key 'Foo' in [Interface]"},
      {itf + peer + "MTU = 1420\n",
       "wg0.conf:5: MTU: not valid in [Peer] (it belongs in [Interface])"},
      {itf + "PublicKey = " + std::string(kPeerA) + "\n",
       "wg0.conf:3: PublicKey: not valid in [Interface] (it belongs in [Peer])"},
      {itf + "[Peers]\n", "wg0.conf:3: unknown section 'Peers'; expected [Interface] or [Peer]"},
      {itf + "[Peer\n", "wg0.conf:3: a section header must end with ']'"},
      {itf + "ListenPort 51820\n", "wg0.conf:3: expected 'Key = value', [Interface] or [Peer]"},
      {"[Interface]\nPrivateKey =\n", "wg0.conf:2: PrivateKey: missing value"},
      {itf + "ListenPort = 65536\n",
       "wg0.conf:3: ListenPort: '65536' is not a port number 0-65535"},
      {itf + "ListenPort = http\n", "wg0.conf:3: ListenPort: 'http' is not a port number 0-65535"},
      {itf + "FwMark = 0X10\n",
       "wg0.conf:3: FwMark: '0X10' is neither off nor a number 0-0xffffffff"},
      {itf + "Address = 10.0.0.1/33\n",
       "wg0.conf:3: Address: '10.0.0.1/33' is not a valid IP address or prefix"},
      {itf + "Address = 10.0.0.1/24, fd00::1/129\n",
       "wg0.conf:3: Address: 'fd00::1/129' is not a valid IP address or prefix"},
      {itf + "DNS = 1.1.1.1, 10.0.0.256\n",
       "wg0.conf:3: DNS: '10.0.0.256' is not a valid IP address"},
      {itf + "DNS = exa$mple.com\n",
       "wg0.conf:3: DNS: 'exa$mple.com' is neither an IP address nor a search domain"},
      {itf + "MTU = 67\n", "wg0.conf:3: MTU: '67' is not an MTU 68-65535"},
      {itf + "MTU = 65536\n", "wg0.conf:3: MTU: '65536' is not an MTU 68-65535"},
      {itf + "Table = -1\n",
       "wg0.conf:3: Table: '-1' is not auto, off, a table number or a table name"},
      {itf + "SaveConfig = yes\n", "wg0.conf:3: SaveConfig: 'yes' is neither true nor false"},
      {itf + peer + "AllowedIPs = 10.0.0.0/33\n",
       "wg0.conf:5: AllowedIPs: '10.0.0.0/33' is not a valid IP prefix"},
      {itf + peer + "AllowedIPs = 10.0.0.0/8,\n",
       "wg0.conf:5: AllowedIPs: empty entry in the list"},
      {itf + peer + "AllowedIPs = 10.0.0.0/8, example.com\n",
       "wg0.conf:5: AllowedIPs: 'example.com' is not a valid IP prefix"},
      {itf + peer + "Endpoint = vpn.example.com\n",
       "wg0.conf:5: Endpoint: 'vpn.example.com' has no port"},
      {itf + peer + "Endpoint = [2001:db8::1:51820\n",
       "wg0.conf:5: Endpoint: '[2001:db8::1:51820' has no closing ']'"},
      {itf + peer + "Endpoint = [2001:db8::1]\n",
       "wg0.conf:5: Endpoint: '[2001:db8::1]' has no port"},
      {itf + peer + "Endpoint = :51820\n", "wg0.conf:5: Endpoint: ':51820' has no host"},
      {itf + peer + "Endpoint = host:0\n",
       "wg0.conf:5: Endpoint: 'host:0': port '0' is not a number 1-65535"},
      {itf + peer + "Endpoint = host:65536\n",
       "wg0.conf:5: Endpoint: 'host:65536': port '65536' is not a number 1-65535"},
      {itf + peer + "PersistentKeepalive = 70000\n",
       "wg0.conf:5: PersistentKeepalive: '70000' is neither off nor a number of seconds 0-65535"},
      {itf + peer + "PublicKey = abc\n", "wg0.conf:5: PublicKey: value is not a valid base64 key"},
      {itf + "[Peer]\nAllowedIPs = 10.0.0.1/32\n", "wg0.conf:3: [Peer]: missing PublicKey"},
  };
  for (const auto& c : cases) EXPECT_EQ(error_of(c.text), c.message) << c.text;
}

TEST(WgQuickErrors, NeverEchoKeyMaterial) {
  // Near-misses of real keys: one character short, one too many, a bad character.
  const std::string priv(kPriv);
  const std::string psk(kPsk);
  auto near_misses = [](const std::string& key) {
    return std::vector<std::string>{key.substr(1), key + "A",
                                    key.substr(0, 10) + "!" + key.substr(11),
                                    key.substr(0, 42) + "h="};  // non-zero trailing bits
  };
  for (const auto& bad : near_misses(priv)) {
    auto m = error_of("[Interface]\nPrivateKey = " + bad + "\n");
    EXPECT_EQ(m, "wg0.conf:2: PrivateKey: value is not a valid base64 key");
  }
  for (const auto& bad : near_misses(psk)) {
    auto m = error_of(fmt::format("[Peer]\nPublicKey = {}\nPresharedKey = {}\n", kPeerA, bad));
    EXPECT_EQ(m, "wg0.conf:3: PresharedKey: value is not a valid base64 key");
  }
  // A private key pasted where a key name belongs, and a line without '=' holding a key.
  auto pasted = error_of("[Interface]\n" + priv + "\n");
  EXPECT_THAT(pasted, Not(HasSubstr(priv.substr(0, 8))));
  auto as_key = error_of("[Interface]\n" + priv.substr(0, 43) + " = x\n");
  EXPECT_EQ(as_key, "wg0.conf:2: unknown key (not shown) in [Interface]");
  // Errors found after the key line, like a bad port, do not carry the key either.
  auto later = error_of("[Interface]\nPrivateKey = " + priv + "\nListenPort = x\n");
  EXPECT_THAT(later, Not(HasSubstr(priv.substr(0, 8))));
}

// ---- rendering ----

WgQuickConfig full_config() {
  std::string text = fmt::format(R"(# wg0 on gateway-1
[Interface]
PrivateKey = {}
ListenPort = 51820
FwMark = 0xca6c
Address = 10.0.0.1/24, fd00::1/64
DNS = 10.0.0.53, fd00::53, corp.example
MTU = 1420
Table = vpn
PreUp = echo up %i
PostUp = nft add rule inet filter forward iifname %i accept # comment kept
PreDown = echo down
PostDown = echo gone
SaveConfig = true

# alice, laptop
[Peer]
PublicKey = {}
PresharedKey = {}
AllowedIPs = 10.0.0.2/32, fd00::2/128
Endpoint = vpn.example.com:51820
PersistentKeepalive = 25

#
[Peer]
PublicKey = {}
AllowedIPs = 192.168.7.0/24
Endpoint = [2001:db8::7]:4500
PersistentKeepalive = off
)",
                                 kPriv, kPeerA, kPsk, kPeerB);
  auto c = parse_wg_quick(text, "wg0.conf");
  EXPECT_TRUE(c) << c.error().message;
  return c ? std::move(*c) : WgQuickConfig{};
}

TEST(WgQuickRender, CanonicalText) {
  auto text = render_wg_quick(full_config());
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, fmt::format(R"(# wg0 on gateway-1
[Interface]
PrivateKey = {}
ListenPort = 51820
FwMark = 0xca6c
Address = 10.0.0.1/24, fd00::1/64
DNS = 10.0.0.53, fd00::53, corp.example
MTU = 1420
Table = vpn
PreUp = echo up %i
PostUp = nft add rule inet filter forward iifname %i accept # comment kept
PreDown = echo down
PostDown = echo gone
SaveConfig = true

# alice, laptop
[Peer]
PublicKey = {}
PresharedKey = {}
AllowedIPs = 10.0.0.2/32, fd00::2/128
Endpoint = vpn.example.com:51820
PersistentKeepalive = 25

#
[Peer]
PublicKey = {}
AllowedIPs = 192.168.7.0/24
Endpoint = [2001:db8::7]:4500
PersistentKeepalive = off
)",
                               kPriv, kPeerA, kPsk, kPeerB));
}

void expect_same(const WgQuickConfig& a, const WgQuickConfig& b) {
  const auto& x = a.interface;
  const auto& y = b.interface;
  EXPECT_EQ(x.comments, y.comments);
  ASSERT_EQ(x.private_key.has_value(), y.private_key.has_value());
  if (x.private_key) {
    EXPECT_TRUE(
        std::equal(x.private_key->data(), x.private_key->data() + 32, y.private_key->data()));
  }
  EXPECT_EQ(x.listen_port, y.listen_port);
  EXPECT_EQ(x.fwmark, y.fwmark);
  EXPECT_EQ(x.addresses, y.addresses);
  EXPECT_EQ(x.dns_servers, y.dns_servers);
  EXPECT_EQ(x.dns_search, y.dns_search);
  EXPECT_EQ(x.mtu, y.mtu);
  EXPECT_EQ(x.table, y.table);
  EXPECT_EQ(x.pre_up, y.pre_up);
  EXPECT_EQ(x.post_up, y.post_up);
  EXPECT_EQ(x.pre_down, y.pre_down);
  EXPECT_EQ(x.post_down, y.post_down);
  EXPECT_EQ(x.save_config, y.save_config);
  ASSERT_EQ(a.peers.size(), b.peers.size());
  for (std::size_t i = 0; i < a.peers.size(); ++i) {
    const auto& p = a.peers[i];
    const auto& q = b.peers[i];
    EXPECT_EQ(p.comments, q.comments);
    EXPECT_EQ(p.public_key, q.public_key);
    ASSERT_EQ(p.preshared_key.has_value(), q.preshared_key.has_value());
    if (p.preshared_key) {
      EXPECT_TRUE(std::equal(p.preshared_key->data(), p.preshared_key->data() + 32,
                             q.preshared_key->data()));
    }
    EXPECT_EQ(p.allowed_ips, q.allowed_ips);
    EXPECT_EQ(p.endpoint, q.endpoint);
    EXPECT_EQ(p.persistent_keepalive, q.persistent_keepalive);
  }
}

TEST(WgQuickRender, RoundTripsEveryField) {
  const auto original = full_config();
  auto text = render_wg_quick(original);
  ASSERT_TRUE(text) << text.error().message;
  auto again = parse_wg_quick(*text, "rendered.conf");
  ASSERT_TRUE(again) << again.error().message;
  expect_same(original, *again);
  EXPECT_EQ(render_wg_quick(*again).value(), *text);
}

TEST(WgQuickRender, RoundTripsTheSeeds) {
  for (auto text : {file_of({kDoloresInterface, kMaevePeer, kBernardPeer}),
                    file_of({kMaeveInterface, kCharlottePeer}), std::string(kCharlotteInterface),
                    std::string(kSeed003Client), std::string(kSeed003Server)}) {
    auto c = parse_wg_quick(text, "seed.conf");
    ASSERT_TRUE(c) << c.error().message;
    auto rendered = render_wg_quick(*c);
    ASSERT_TRUE(rendered) << rendered.error().message;
    auto again = parse_wg_quick(*rendered, "rendered.conf");
    ASSERT_TRUE(again) << again.error().message << "\n" << *rendered;
    expect_same(*c, *again);
  }
}

TEST(WgQuickRender, GeneratedModelWithPeerComments) {
  // What `wgd mesh` and client configs build: a model, never a file, with a note per peer.
  WgQuickConfig c;
  c.interface.private_key = test::secret_key(kPriv);
  c.interface.addresses = {prefix("10.195.171.142/24")};
  WgQuickPeer p;
  p.comments = {"maeve.example.net, Rackspace, London"};
  p.public_key = public_key(kPeerA);
  p.endpoint = "maeve.example.net:55867";
  p.allowed_ips = {prefix("10.195.171.47/32")};
  c.peers.push_back(std::move(p));
  auto text = render_wg_quick(c);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text,
            fmt::format("[Interface]\nPrivateKey = {}\nAddress = 10.195.171.142/24\n\n"
                        "# maeve.example.net, Rackspace, London\n[Peer]\nPublicKey = {}\n"
                        "AllowedIPs = 10.195.171.47/32\nEndpoint = maeve.example.net:55867\n",
                        kPriv, kPeerA));
}

TEST(WgQuickRender, RefusesWhatAFileCannotSay) {
  auto expect_refused = [](auto mutate, std::string_view message) {
    auto c = full_config();
    mutate(c);
    auto r = render_wg_quick(c);
    ASSERT_FALSE(r) << *r;
    EXPECT_EQ(r.error().message, message);
  };
  expect_refused([](WgQuickConfig& c) { c.interface.post_up.push_back("true\nPrivateKey = x"); },
                 "PostUp: contains a line break or NUL");
  expect_refused([](WgQuickConfig& c) { c.interface.pre_down.push_back(" padded"); },
                 "PreDown: a hook must be a non-empty command without surrounding blanks");
  expect_refused([](WgQuickConfig& c) { c.peers[0].comments.push_back("bob\n[Peer]"); },
                 "peer 1 comment: contains a line break or NUL");
  expect_refused([](WgQuickConfig& c) { c.peers[1].endpoint = "no-port.example"; },
                 "peer 2: Endpoint: 'no-port.example' has no port");
  expect_refused([](WgQuickConfig& c) { c.peers[1].endpoint = "evil host:1"; },
                 "peer 2: Endpoint: 'evil host:1' contains a character not allowed in a host name");
  expect_refused([](WgQuickConfig& c) { c.interface.dns_search.push_back("a b"); },
                 "DNS: 'a b' is not a valid search domain");
  expect_refused([](WgQuickConfig& c) { c.peers[1].public_key = c.peers[0].public_key; },
                 "peer 2: PublicKey: the same key as peer 1");
  expect_refused(
      [](WgQuickConfig& c) {
        c.peers[0].public_key = crypto::x25519_public(*c.interface.private_key);
      },
      "peer 1: PublicKey: the interface's own public key");
  expect_refused([](WgQuickConfig& c) { c.interface.mtu = 10; }, "MTU: 10 is not an MTU 68-65535");
}

TEST(WgQuickStrip, KeepsOnlyWhatWgSetconfReads) {
  auto text = strip_wg_quick(full_config());
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, fmt::format(R"(# wg0 on gateway-1
[Interface]
PrivateKey = {}
ListenPort = 51820
FwMark = 0xca6c

# alice, laptop
[Peer]
PublicKey = {}
PresharedKey = {}
AllowedIPs = 10.0.0.2/32, fd00::2/128
Endpoint = vpn.example.com:51820
PersistentKeepalive = 25

#
[Peer]
PublicKey = {}
AllowedIPs = 192.168.7.0/24
Endpoint = [2001:db8::7]:4500
PersistentKeepalive = off
)",
                               kPriv, kPeerA, kPsk, kPeerB));
}

TEST(RouteTableLookup, BuiltinsAndRtTables) {
  const std::string_view rt_tables =
      "#\n# reserved values\n#\n255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n#\n"
      "200 vpn   # our table\n0x10\thexed\n";
  EXPECT_EQ(lookup_route_table("main", ""), 254u);
  EXPECT_EQ(lookup_route_table("local", ""), 255u);
  EXPECT_EQ(lookup_route_table("default", ""), 253u);
  EXPECT_EQ(lookup_route_table("vpn", rt_tables), 200u);
  EXPECT_EQ(lookup_route_table("hexed", rt_tables), 16u);
  EXPECT_EQ(lookup_route_table("unspec", rt_tables), 0u);
  EXPECT_FALSE(lookup_route_table("vpn", ""));
  EXPECT_FALSE(lookup_route_table("our", rt_tables));
}

TEST(SplitHostPort, Forms) {
  auto hp = split_host_port("vpn.example.com:51820");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "vpn.example.com");
  EXPECT_EQ(hp->port, 51820);
  hp = split_host_port("[2001:db8::1]:4500");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "2001:db8::1");
  // Like `wg`, an unbracketed IPv6 address splits at its last colon.
  hp = split_host_port("2001:db8::1:4500");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "2001:db8::1");
  EXPECT_EQ(hp->port, 4500);
  EXPECT_FALSE(split_host_port(""));
  EXPECT_FALSE(split_host_port("host:"));
  EXPECT_FALSE(split_host_port("[::1]x51820"));
}

}  // namespace
}  // namespace wgd::uapi
