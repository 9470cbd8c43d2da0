#include "uapi/wg_quick_device.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include <cstdlib>
#include <vector>

#include "crypto/key_codec.h"
#include "uapi/text_formats_test_support.h"

namespace wgd::uapi {
namespace {

using test::public_key;
using ::testing::ElementsAre;

constexpr std::string_view kPriv = "qAuVUEbmcI3ofLsjJmQ6+RtEejoNX+WHs7QOsIccn0Y=";
constexpr std::string_view kPsk = "FIOSD2ErZISlHwFsBRK5RVyd7ENhvJ4x3W101BoewqQ=";
constexpr std::string_view kPeerA = "RfGgIjkPJC9U6b0OE8UHdnJwAA4hCV1FfQOX1/FaIzo=";
constexpr std::string_view kPeerB = "Bj7G2pqXZRjrcBTwOWDrkjcy3PzhhJd3cX8QvBTaRDI=";

Endpoint endpoint(std::string_view s) {
  auto e = Endpoint::parse(s);
  EXPECT_TRUE(e) << s;
  return e.value_or(Endpoint{});
}

IpPrefix prefix(std::string_view s) {
  return IpPrefix::parse(s).value();
}

// A resolver that knows two names and records what it was asked.
struct FakeResolver {
  std::vector<std::string> asked;
  Result<Endpoint> operator()(std::string_view hp) {
    asked.emplace_back(hp);
    if (hp == "vpn.example.com:51820") return endpoint("203.0.113.5:51820");
    if (auto e = Endpoint::parse(hp)) return *e;
    return failf("Name or service not known: `{}'", hp);
  }
};

TEST(ToDeviceChange, HasSetconfSemantics) {
  auto c = parse_wg_quick(fmt::format(R"([Interface]
PrivateKey = {}
FwMark = 0x20
Address = 10.0.0.1/24
[Peer]
PublicKey = {}
PresharedKey = {}
AllowedIPs = 10.0.0.2/32
AllowedIPs = fd00::2/128
Endpoint = vpn.example.com:51820
PersistentKeepalive = 25
[Peer]
PublicKey = {}
Endpoint = [2001:db8::9]:4500
PersistentKeepalive = off
)",
                                      kPriv, kPeerA, kPsk, kPeerB),
                          "wg0.conf");
  ASSERT_TRUE(c) << c.error().message;
  FakeResolver resolver;
  auto change = to_device_change(*c, std::ref(resolver));
  ASSERT_TRUE(change) << change.error().message;

  ASSERT_TRUE(change->private_key);
  EXPECT_EQ(crypto::key_to_base64(change->private_key->span()), kPriv);
  EXPECT_EQ(change->listen_port, 0);  // not in the file: setconf resets it (a random port)
  EXPECT_EQ(change->fwmark, 0x20u);
  EXPECT_TRUE(change->replace_peers);
  ASSERT_EQ(change->peers.size(), 2u);

  const auto& a = change->peers[0];
  EXPECT_EQ(a.public_key, public_key(kPeerA));
  EXPECT_FALSE(a.remove);
  EXPECT_FALSE(a.update_only);
  ASSERT_TRUE(a.preshared_key);
  EXPECT_EQ(crypto::key_to_base64(a.preshared_key->span()), kPsk);
  EXPECT_EQ(a.endpoint, endpoint("203.0.113.5:51820"));
  EXPECT_EQ(a.persistent_keepalive, 25);
  EXPECT_TRUE(a.replace_allowed_ips);
  EXPECT_THAT(a.allowed_ips, ElementsAre(prefix("10.0.0.2/32"), prefix("fd00::2/128")));

  const auto& b = change->peers[1];
  EXPECT_FALSE(b.preshared_key);
  EXPECT_EQ(b.endpoint, endpoint("[2001:db8::9]:4500"));
  EXPECT_EQ(b.persistent_keepalive, 0);
  EXPECT_TRUE(b.replace_allowed_ips);  // an empty list still clears the old one
  EXPECT_TRUE(b.allowed_ips.empty());
  EXPECT_THAT(resolver.asked, ElementsAre("vpn.example.com:51820", "[2001:db8::9]:4500"));
}

TEST(ToDeviceChange, AbsentInterfaceKeysAreReset) {
  auto c = parse_wg_quick(fmt::format("[Peer]\nPublicKey = {}\n", kPeerA), "wg0.conf");
  ASSERT_TRUE(c);
  auto change = to_device_change(*c, FakeResolver{});
  ASSERT_TRUE(change);
  ASSERT_TRUE(change->private_key);
  EXPECT_TRUE(change->private_key->is_zero());  // all-zero removes the key
  EXPECT_EQ(change->listen_port, 0);
  EXPECT_EQ(change->fwmark, 0u);
  EXPECT_FALSE(change->peers[0].endpoint);
  EXPECT_FALSE(change->peers[0].persistent_keepalive);  // untouched when the file says nothing
}

TEST(ToDeviceChange, ResolutionFailureNamesThePeer) {
  auto c = parse_wg_quick(
      fmt::format("[Peer]\nPublicKey = {}\nEndpoint = nowhere.example:1\n", kPeerB), "wg0.conf");
  ASSERT_TRUE(c);
  auto change = to_device_change(*c, FakeResolver{});
  ASSERT_FALSE(change);
  EXPECT_EQ(
      change.error().message,
      fmt::format("peer 1 ({}): Endpoint: Name or service not known: `nowhere.example:1'", kPeerB));
}

// ---- resolve_endpoint: numeric forms and localhost only; failures are injected ----

TEST(ResolveEndpoint, NumericFormsSkipTheResolver) {
  ResolveOptions options;
  int calls = 0;
  options.getaddrinfo = [&](const char*, const char*, const addrinfo*, addrinfo**) {
    ++calls;
    return EAI_FAIL;
  };
  EXPECT_EQ(resolve_endpoint("192.0.2.1:51820", options).value(), endpoint("192.0.2.1:51820"));
  EXPECT_EQ(resolve_endpoint("[2001:db8::1]:4500", options).value(),
            endpoint("[2001:db8::1]:4500"));
  auto scoped = resolve_endpoint("[fe80::1%lo]:51820", options);
  ASSERT_TRUE(scoped) << scoped.error().message;
  EXPECT_EQ(scoped->scope_id, if_nametoindex("lo"));
  EXPECT_EQ(calls, 0);
}

TEST(ResolveEndpoint, LocalhostThroughGetaddrinfo) {
  auto e = resolve_endpoint("localhost:51820");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->port, 51820);
  // Whichever family the system orders first, it is the loopback address.
  EXPECT_TRUE(e->address == *IpAddress::parse("127.0.0.1") ||
              e->address == *IpAddress::parse("::1"))
      << e->address.to_string();
  // An unbracketed IPv6 literal reaches getaddrinfo (Endpoint::parse wants brackets) and works.
  auto v6 = resolve_endpoint("::1:51820");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(*v6, endpoint("[::1]:51820"));
}

TEST(ResolveEndpoint, RetriesTransientFailuresWithGrowingWaits) {
  ResolveOptions options;
  int calls = 0;
  options.getaddrinfo = [&](const char* host, const char* port, const addrinfo* hints,
                            addrinfo** out) {
    if (++calls <= 3) return EAI_AGAIN;
    EXPECT_STREQ(host, "localhost");
    EXPECT_STREQ(port, "51820");
    EXPECT_EQ(hints->ai_socktype, SOCK_DGRAM);
    return ::getaddrinfo(host, port, hints, out);
  };
  std::vector<std::chrono::microseconds> waits;
  options.sleep = [&](std::chrono::microseconds d) { waits.push_back(d); };
  std::vector<std::string> notes;
  options.on_retry = [&](const Error& e, std::chrono::microseconds) { notes.push_back(e.message); };
  auto e = resolve_endpoint("localhost:51820", options);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(calls, 4);
  using us = std::chrono::microseconds;
  EXPECT_THAT(waits, ElementsAre(us(1'000'000), us(1'200'000), us(1'440'000)));
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0], fmt::format("{}: `localhost:51820'", gai_strerror(EAI_AGAIN)));
}

TEST(ResolveEndpoint, GivesUpAfterTheRetriesAndAtOnceOnPermanentFailures) {
  ResolveOptions options;
  options.retries = 2;
  options.first_delay = std::chrono::microseconds(15'000'000);
  int calls = 0;
  int code = EAI_AGAIN;
  options.getaddrinfo = [&](const char*, const char*, const addrinfo*, addrinfo**) {
    ++calls;
    return code;
  };
  std::vector<std::chrono::microseconds> waits;
  options.sleep = [&](std::chrono::microseconds d) { waits.push_back(d); };
  auto e = resolve_endpoint("vpn.example.com:51820", options);
  ASSERT_FALSE(e);
  EXPECT_EQ(calls, 3);  // the first try and two retries
  // 15 s, then 18 s: capped at 20 s.
  EXPECT_THAT(waits, ElementsAre(std::chrono::microseconds(15'000'000),
                                 std::chrono::microseconds(18'000'000)));
  EXPECT_EQ(e.error().message, fmt::format("{}: `vpn.example.com:51820'", gai_strerror(EAI_AGAIN)));

  for (int permanent : {EAI_NONAME, EAI_FAIL, EAI_NODATA}) {
    calls = 0;
    code = permanent;
    waits.clear();
    EXPECT_FALSE(resolve_endpoint("vpn.example.com:51820", options));
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(waits.empty());
  }
}

TEST(ResolveEndpoint, BadSyntaxNeverReachesTheResolver) {
  auto e = resolve_endpoint("vpn.example.com");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "'vpn.example.com' has no port");
}

TEST(ResolveEndpoint, RetriesFromTheEnvironment) {
  ::unsetenv("WG_ENDPOINT_RESOLUTION_RETRIES");
  EXPECT_EQ(resolve_options_from_environment()->retries, 15);
  ::setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "infinity", 1);
  EXPECT_EQ(resolve_options_from_environment()->retries, -1);
  ::setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "3", 1);
  EXPECT_EQ(resolve_options_from_environment()->retries, 3);
  ::setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "3x", 1);
  auto bad = resolve_options_from_environment();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `3x'");
  ::unsetenv("WG_ENDPOINT_RESOLUTION_RETRIES");
}

TEST(WgQuickFromStatus, DescribesTheDeviceAsAFile) {
  wg::DeviceStatus s;
  s.private_key = test::secret_key(kPriv);
  s.listen_port = 51820;
  s.fwmark = 0;
  wg::PeerStatus a;
  a.public_key = public_key(kPeerA);
  a.preshared_key = test::secret_key(kPsk);
  a.endpoint = endpoint("[2001:db8::1]:4500");
  a.allowed_ips = {prefix("10.0.0.2/32"), prefix("fd00::2/128")};
  a.persistent_keepalive = 25;
  a.rx_bytes = 1000;  // runtime state is not configuration
  s.peers.push_back(std::move(a));
  wg::PeerStatus b;
  b.public_key = public_key(kPeerB);
  b.preshared_key = crypto::PresharedKey();  // all-zero: no preshared key
  s.peers.push_back(std::move(b));

  auto c = wg_quick_from_status(s);
  c.interface.addresses = {prefix("10.0.0.1/24")};  // what SaveConfig adds from the link
  auto text = render_wg_quick(c);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, fmt::format(R"([Interface]
PrivateKey = {}
ListenPort = 51820
Address = 10.0.0.1/24

[Peer]
PublicKey = {}
PresharedKey = {}
AllowedIPs = 10.0.0.2/32, fd00::2/128
Endpoint = [2001:db8::1]:4500
PersistentKeepalive = 25

[Peer]
PublicKey = {}
)",
                               kPriv, kPeerA, kPsk, kPeerB));
}

}  // namespace
}  // namespace wgd::uapi
