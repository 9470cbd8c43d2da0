// The UAPI against the reference tools (run as root):
//  - our server, with the in-memory FakeDevice behind it, driven by the stock wg(8) through
//    /var/run/wireguard/wgdtu<pid>.sock (wg looks for a userspace socket before netlink, so no
//    real interface is needed);
//  - our client driving wireguard-go, started in a namespace of its own:
//
//      test process ── /var/run/wireguard/wgdug<pid>.sock ──> wireguard-go -f wgdug<pid>
//                                                             (TUN inside netns wgdu<pid>)
//
// The namespace and the process are removed by destructors, also when a test fails.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "uapi/uapi_client.h"
#include "uapi/uapi_fake_handler.h"
#include "uapi/uapi_paths.h"
#include "uapi/uapi_protocol.h"
#include "uapi/uapi_server.h"
#include "uapi/uapi_test_util.h"

namespace wgd::uapi {
namespace {

using testing::BackgroundProcess;
using testing::CommandResult;
using testing::describe;
using testing::FakeDevice;
using testing::NetnsGuard;
using testing::RawConnection;
using testing::run_command;
using testing::TempDir;
using testing::wait_until;
using testing::write_file;

std::string b64(const crypto::PublicKey& k) { return crypto::key_to_base64(k); }
std::string b64(const crypto::PrivateKey& k) { return crypto::key_to_base64(k.span()); }
crypto::PublicKey random_public() { return crypto::x25519_public(crypto::x25519_generate()); }
IpPrefix prefix(std::string_view t) { return *IpPrefix::parse(t); }
Endpoint endpoint(std::string_view t) { return *Endpoint::parse(t); }

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Our server, driven by wg(8).

class WgToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "wg needs /var/run/wireguard: run as root";
    auto s = UapiServer::listen(ifname_, device_);
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    ASSERT_TRUE(server_->start());
  }

  CommandResult wg(std::vector<std::string> args) {
    args.insert(args.begin(), "wg");
    return run_command(args);
  }
  // Runs wg and expects success.
  std::string wg_ok(std::vector<std::string> args) {
    auto r = wg(args);
    EXPECT_EQ(r.exit_status, 0) << "wg " << args[0] << ": " << r.err;
    return r.out;
  }
  std::string file(const std::string& name, const std::string& content) {
    return write_file(dir_.path() + "/" + name, content);
  }

  const std::string ifname_ = "wgdtu" + std::to_string(::getpid());
  TempDir dir_;
  FakeDevice device_;
  std::unique_ptr<UapiServer> server_;
};

// A configuration in exactly the form `wg showconf` prints.
std::string showconf_text(const crypto::PrivateKey& key, const crypto::PublicKey& p1,
                          const crypto::PrivateKey& psk, const crypto::PublicKey& p2) {
  return "[Interface]\nListenPort = 51820\nFwMark = 0x1234\nPrivateKey = " + b64(key) +
         "\n\n[Peer]\nPublicKey = " + b64(p1) + "\nPresharedKey = " + b64(psk) +
         "\nAllowedIPs = 10.0.0.2/32, 2001:db8::2/128\nEndpoint = 192.0.2.1:51820\n"
         "PersistentKeepalive = 25\n\n[Peer]\nPublicKey = " + b64(p2) +
         "\nAllowedIPs = 10.0.0.3/32, 0.0.0.0/0\nEndpoint = [2001:db8::3]:51820\n";
}

TEST_F(WgToolTest, WgListsTheInterface) {
  auto names = split(wg_ok({"show", "interfaces"}), ' ');
  for (auto& n : names)
    if (!n.empty() && n.back() == '\n') n.pop_back();
  EXPECT_NE(std::find(names.begin(), names.end(), ifname_), names.end());
}

TEST_F(WgToolTest, SetconfThenShowconfRoundTripsEveryKey) {
  auto key = crypto::x25519_generate();
  auto psk = crypto::x25519_generate();
  auto p1 = random_public(), p2 = random_public();
  std::string conf = showconf_text(key, p1, psk, p2);
  wg_ok({"setconf", ifname_, file("wg.conf", conf)});
  EXPECT_EQ(wg_ok({"showconf", ifname_}), conf);

  auto st = device_.snapshot();
  EXPECT_EQ(st.listen_port, 51820);
  EXPECT_EQ(st.fwmark, 0x1234u);
  ASSERT_EQ(st.peers.size(), 2u);
  EXPECT_EQ(st.peers[0].persistent_keepalive, 25);
  EXPECT_EQ(st.peers[1].endpoint->to_string(), "[2001:db8::3]:51820");
}

TEST_F(WgToolTest, ShowDumpReportsEveryField) {
  auto key = crypto::x25519_generate();
  auto psk = crypto::x25519_generate();
  auto p1 = random_public(), p2 = random_public();
  wg_ok({"setconf", ifname_, file("wg.conf", showconf_text(key, p1, psk, p2))});
  device_.mutate([](wg::DeviceStatus& s) {
    s.peers[0].last_handshake_sec = 1700000000;
    s.peers[0].last_handshake_nsec = 5;
    s.peers[0].rx_bytes = 123456789012ull;
    s.peers[0].tx_bytes = 42;
  });
  auto lines = split(wg_ok({"show", ifname_, "dump"}), '\n');
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], b64(key) + "\t" + b64(crypto::x25519_public(key)) + "\t51820\t0x1234");
  EXPECT_EQ(lines[1], b64(p1) + "\t" + b64(psk) +
                          "\t192.0.2.1:51820\t10.0.0.2/32,2001:db8::2/128\t1700000000\t"
                          "123456789012\t42\t25");
  EXPECT_EQ(lines[2], b64(p2) + "\t(none)\t[2001:db8::3]:51820\t10.0.0.3/32,0.0.0.0/0\t0\t0\t0\toff");
}

TEST_F(WgToolTest, WgSetEveryOption) {
  auto key = crypto::x25519_generate();
  auto psk = crypto::x25519_generate();
  auto peer = random_public();
  wg_ok({"set", ifname_, "listen-port", "4000", "fwmark", "0x99", "private-key",
         file("key", b64(key) + "\n"), "peer", b64(peer), "preshared-key", file("psk", b64(psk)),
         "endpoint", "[2001:db8::5]:1234", "persistent-keepalive", "30", "allowed-ips",
         "10.5.0.0/16,2001:db8:5::/48"});
  auto st = device_.snapshot();
  EXPECT_EQ(st.listen_port, 4000);
  EXPECT_EQ(st.fwmark, 0x99u);
  ASSERT_TRUE(st.public_key);
  EXPECT_EQ(*st.public_key, crypto::x25519_public(key));
  ASSERT_EQ(st.peers.size(), 1u);
  const auto& p = st.peers[0];
  EXPECT_EQ(p.public_key, peer);
  ASSERT_TRUE(p.preshared_key);
  EXPECT_EQ(b64(*p.preshared_key), b64(psk));
  EXPECT_EQ(p.endpoint->to_string(), "[2001:db8::5]:1234");
  EXPECT_EQ(p.persistent_keepalive, 30);
  ASSERT_EQ(p.allowed_ips.size(), 2u);
  EXPECT_EQ(p.allowed_ips[1].to_string(), "2001:db8:5::/48");

  // allowed-ips replaces; /dev/null removes a key; "off" turns keepalive off.
  wg_ok({"set", ifname_, "peer", b64(peer), "allowed-ips", "10.6.0.0/16", "preshared-key",
         "/dev/null", "persistent-keepalive", "off"});
  st = device_.snapshot();
  ASSERT_EQ(st.peers.size(), 1u);
  ASSERT_EQ(st.peers[0].allowed_ips.size(), 1u);
  EXPECT_EQ(st.peers[0].allowed_ips[0].to_string(), "10.6.0.0/16");
  EXPECT_FALSE(st.peers[0].preshared_key);
  EXPECT_EQ(st.peers[0].persistent_keepalive, 0);

  wg_ok({"set", ifname_, "private-key", "/dev/null", "peer", b64(peer), "remove"});
  st = device_.snapshot();
  EXPECT_FALSE(st.private_key);
  EXPECT_TRUE(st.peers.empty());
}

TEST_F(WgToolTest, AddconfKeepsPeersAndSyncconfRemovesWhatTheFileLacks) {
  auto key = crypto::x25519_generate();
  auto psk = crypto::x25519_generate();
  auto p1 = random_public(), p2 = random_public(), p3 = random_public();
  wg_ok({"setconf", ifname_, file("a.conf", showconf_text(key, p1, psk, p2))});
  wg_ok({"addconf", ifname_,
         file("b.conf", "[Peer]\nPublicKey = " + b64(p3) + "\nAllowedIPs = 10.0.0.4/32\n")});
  EXPECT_EQ(device_.snapshot().peers.size(), 3u);

  // syncconf: one get, then one set=1 that removes p2 and rewrites p1's allowed IPs and
  // endpoint. (Whether wg also clears a preshared key or keepalive the file no longer has
  // depends on its version, 1.0.20210914 does not, so the file keeps both.)
  std::string synced = "[Interface]\nListenPort = 51820\nFwMark = 0x1234\nPrivateKey = " + b64(key) +
                       "\n\n[Peer]\nPublicKey = " + b64(p1) + "\nPresharedKey = " + b64(psk) +
                       "\nAllowedIPs = 10.0.0.5/32\nEndpoint = 192.0.2.9:51820\n"
                       "PersistentKeepalive = 25\n\n[Peer]\nPublicKey = " +
                       b64(p3) + "\nAllowedIPs = 10.0.0.4/32\n";
  int sets = device_.set_calls();
  wg_ok({"syncconf", ifname_, file("c.conf", synced)});
  EXPECT_EQ(device_.set_calls(), sets + 1) << "syncconf must be one set=1";
  auto st = device_.snapshot();
  ASSERT_EQ(st.peers.size(), 2u);
  EXPECT_EQ(st.peers[0].public_key, p1);
  EXPECT_EQ(st.peers[1].public_key, p3);
  EXPECT_EQ(wg_ok({"showconf", ifname_}), synced);
}

TEST_F(WgToolTest, SetconfWithoutInterfaceKeysClearsThem) {
  // wg(8) sends private_key=0..0, listen_port=0 and fwmark=0 for a file that has none of them:
  // setconf means "exactly this file".
  auto key = crypto::x25519_generate();
  auto psk = crypto::x25519_generate();
  auto p1 = random_public(), p2 = random_public();
  wg_ok({"setconf", ifname_, file("a.conf", showconf_text(key, p1, psk, p2))});
  std::string only_peer = "[Peer]\nPublicKey = " + b64(p1) + "\nAllowedIPs = 10.0.0.2/32\n";
  wg_ok({"setconf", ifname_, file("b.conf", only_peer)});
  EXPECT_EQ(wg_ok({"showconf", ifname_}), "[Interface]\n\n" + only_peer);
  auto st = device_.snapshot();
  EXPECT_FALSE(st.private_key);
  EXPECT_EQ(st.fwmark, 0u);
}

TEST_F(WgToolTest, WgRefusesANonNumericPortItself) {
  // wg parses ports with getaddrinfo: "abc" and "-1" fail there and nothing is sent. (Numbers
  // above 65535 are not refused by wg 1.0.20210914: 99999 is sent as 34463; our server refuses
  // listen_port=99999 when it arrives as text, see uapi_protocol_test.)
  int sets = device_.set_calls();
  for (std::string bad : {"abc", "-1"}) {
    auto r = wg({"set", ifname_, "listen-port", bad});
    EXPECT_NE(r.exit_status, 0) << bad;
  }
  EXPECT_EQ(device_.set_calls(), sets);
}

TEST_F(WgToolTest, HandlerErrnoReachesWg) {
  device_.set_busy_port(7777);
  auto r = wg({"set", ifname_, "listen-port", "7777"});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.err.find("Address already in use"), std::string::npos) << r.err;
  EXPECT_EQ(device_.snapshot().listen_port, 0);
}

TEST_F(WgToolTest, RawRefusalsOnTheRealSocketLeaveTheConfigUnchanged) {
  auto key = crypto::x25519_generate();
  auto psk = crypto::x25519_generate();
  auto p1 = random_public(), p2 = random_public();
  wg_ok({"setconf", ifname_, file("wg.conf", showconf_text(key, p1, psk, p2))});
  std::string before = wg_ok({"showconf", ifname_});
  std::string pk = "public_key=" + crypto::key_to_hex(p1) + "\n";
  struct Case {
    std::string request, reply;
  };
  for (const Case& c : std::vector<Case>{
           {"set=1\nlisten_port=1\nunknown_key=1\n\n", "errno=-22\n\n"},
           {"set=1\nlisten_port=1\n" + pk + "protocol_version=2\n\n", "errno=-22\n\n"},
           {"set=1\nreplace_peers=true\n" + pk + "allowed_ip=10.0.0.0/33\n\n", "errno=-22\n\n"},
           {"set=1\n" + pk + "endpoint=localhost:1\n\n", "errno=-22\n\n"},
           {"set=1\nlisten_port=1\nthis line has no equals sign\n\n", "errno=-71\n\n"}}) {
    auto conn = RawConnection::open(socket_path(ifname_));
    ASSERT_TRUE(conn) << conn.error().message;
    ASSERT_TRUE(conn->send(c.request));
    EXPECT_EQ(conn->read_reply(), c.reply) << c.request;
    EXPECT_EQ(wg_ok({"showconf", ifname_}), before) << c.request;
  }
}

TEST_F(WgToolTest, SocketIsRoot0700AndGoneAfterShutdown) {
  struct stat st;
  ASSERT_EQ(::lstat(socket_path(ifname_).c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  server_.reset();
  EXPECT_NE(::lstat(socket_path(ifname_).c_str(), &st), 0);
  auto r = wg({"show", ifname_});
  EXPECT_NE(r.exit_status, 0);
}

// ---------------------------------------------------------------------------------------------
// Our client, driving wireguard-go.

class WireguardGoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "namespaces and TUN need root";
    ASSERT_EQ(run_command({"sh", "-c", "command -v wireguard-go"}).exit_status, 0)
        << "wireguard-go is not installed (Debian package wireguard-go)";
    auto ns = NetnsGuard::create("wgdu");
    ASSERT_TRUE(ns) << ns.error().message;
    netns_.emplace(std::move(*ns));
    auto proc = BackgroundProcess::start(
        {"ip", "netns", "exec", netns_->name(), "wireguard-go", "-f", ifname_},
        {"WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=verbose"}, dir_.path() + "/wireguard-go.log");
    ASSERT_TRUE(proc) << proc.error().message;
    process_.emplace(std::move(*proc));
    // The socket answers before the interface is up, and until then wireguard-go only records a
    // new listen_port without binding it. A non-zero port in get means it is up and bound.
    ASSERT_TRUE(wait_until([&] {
      auto st = get(ifname_);
      return st && st->listen_port != 0;
    })) << "wireguard-go did not come up; log: " << log();
  }
  void TearDown() override {
    process_.reset();  // before the namespace goes
    netns_.reset();
    ::unlink(socket_path(ifname_).c_str());  // only exists if wireguard-go was killed hard
  }
  std::string log() {
    std::ifstream in(dir_.path() + "/wireguard-go.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // get, with what only traffic changes (counters, handshake times) zeroed.
  wg::DeviceStatus get_config() {
    auto st = get(ifname_);
    EXPECT_TRUE(st) << st.error().message;
    if (!st) return {};
    for (auto& p : st->peers) {
      p.rx_bytes = p.tx_bytes = 0;
      p.last_handshake_sec = p.last_handshake_nsec = 0;
    }
    return std::move(*st);
  }
  // Applies `change` to wireguard-go and to the FakeDevice, and expects the same result: this
  // checks our client against wireguard-go and the fake's semantics against the real thing.
  void apply_both(const wg::DeviceChange& change) {
    auto r = set(ifname_, change);
    ASSERT_TRUE(r) << r.error().message;
    auto parsed = parse_set(render_set(change));
    ASSERT_TRUE(parsed);
    ASSERT_TRUE(fake_.set(std::move(*parsed)));
    auto real = get_config();
    auto fake = fake_.snapshot();
    // wireguard-go reports the port it bound; the fake has no socket to bind.
    fake.listen_port = real.listen_port;
    EXPECT_EQ(describe(real, /*sorted=*/true), describe(fake, /*sorted=*/true));
  }

  const std::string ifname_ = "wgdug" + std::to_string(::getpid());
  TempDir dir_;
  std::optional<NetnsGuard> netns_;
  std::optional<BackgroundProcess> process_;
  FakeDevice fake_;
};

TEST_F(WireguardGoTest, SetEveryKeyThenGet) {
  wg::DeviceChange c;
  c.private_key = crypto::x25519_generate();
  c.listen_port = 51820;
  c.fwmark = 0x42;
  c.replace_peers = true;
  auto a = random_public(), b = random_public();
  c.peers.resize(2);  // references below stay valid
  auto& pa = c.peers[0];
  pa.public_key = a;
  pa.preshared_key = crypto::x25519_generate();
  pa.endpoint = endpoint("192.0.2.1:51820");
  pa.persistent_keepalive = 25;
  pa.replace_allowed_ips = true;
  pa.allowed_ips = {prefix("10.0.0.2/32"), prefix("2001:db8::2/128"), prefix("10.9.9.9/16")};
  auto& pb = c.peers[1];
  pb.public_key = b;
  pb.endpoint = endpoint("[2001:db8::3]:51821");
  pb.allowed_ips = {prefix("10.0.0.3/32")};
  ASSERT_TRUE(set(ifname_, c));

  auto st = get_config();
  EXPECT_EQ(st.listen_port, 51820);
  EXPECT_EQ(st.fwmark, 0x42u);
  ASSERT_TRUE(st.private_key);
  EXPECT_EQ(b64(*st.private_key), b64(*c.private_key));
  EXPECT_EQ(*st.public_key, crypto::x25519_public(*c.private_key));
  wg::DeviceStatus expected;
  expected.private_key = c.private_key->clone();
  expected.public_key = st.public_key;
  expected.listen_port = 51820;
  expected.fwmark = 0x42;
  auto& ea = expected.peers.emplace_back();
  ea.public_key = a;
  ea.preshared_key = pa.preshared_key->clone();
  ea.endpoint = pa.endpoint;
  ea.persistent_keepalive = 25;
  ea.allowed_ips = {prefix("10.0.0.2/32"), prefix("2001:db8::2/128"), prefix("10.9.0.0/16")};
  auto& eb = expected.peers.emplace_back();
  eb.public_key = b;
  eb.endpoint = pb.endpoint;
  eb.allowed_ips = {prefix("10.0.0.3/32")};
  EXPECT_EQ(describe(st, true), describe(expected, true));
}

TEST_F(WireguardGoTest, ChangeSemanticsMatchTheFakeDevice) {
  auto a = random_public(), b = random_public(), ghost = random_public();
  wg::DeviceChange start;
  start.private_key = crypto::x25519_generate();
  start.peers.emplace_back().public_key = a;
  start.peers.back().preshared_key = crypto::x25519_generate();
  start.peers.back().allowed_ips = {prefix("10.1.0.0/16"), prefix("10.2.0.0/16")};
  start.peers.back().persistent_keepalive = 0;
  start.peers.emplace_back().public_key = b;
  start.peers.back().allowed_ips = {prefix("10.3.0.0/16")};
  apply_both(start);

  wg::DeviceChange update_only;  // a peer that does not exist is not created
  update_only.peers.emplace_back().public_key = ghost;
  update_only.peers.back().update_only = true;
  update_only.peers.back().allowed_ips = {prefix("10.4.0.0/16")};
  apply_both(update_only);

  wg::DeviceChange replace_ips;  // replace a's list; b's prefix moves over to a
  replace_ips.peers.emplace_back().public_key = a;
  replace_ips.peers.back().replace_allowed_ips = true;
  replace_ips.peers.back().allowed_ips = {prefix("10.3.0.0/16"), prefix("2001:db8:a::/48")};
  apply_both(replace_ips);

  wg::DeviceChange zero_psk;  // zero preshared key removes it; update_only on an existing peer
  zero_psk.peers.emplace_back().public_key = a;
  zero_psk.peers.back().update_only = true;
  zero_psk.peers.back().preshared_key = crypto::PresharedKey();
  zero_psk.peers.back().endpoint = endpoint("198.51.100.1:9");
  apply_both(zero_psk);

  wg::DeviceChange own_key;  // a peer with the interface's own public key is ignored
  own_key.peers.emplace_back().public_key = crypto::x25519_public(*start.private_key);
  own_key.peers.back().allowed_ips = {prefix("10.5.0.0/16")};
  apply_both(own_key);
  EXPECT_EQ(get_config().peers.size(), 2u);

  wg::DeviceChange remove;  // remove b; zero private key removes it
  remove.private_key = crypto::PrivateKey();
  remove.peers.emplace_back().public_key = b;
  remove.peers.back().remove = true;
  apply_both(remove);

  // Only the listed peers remain, and a listed peer that existed starts from scratch: a's
  // endpoint and allowed IPs are gone, not kept (kernel and wireguard-go remove all peers first).
  wg::DeviceChange replace_peers;
  replace_peers.replace_peers = true;
  replace_peers.peers.emplace_back().public_key = a;
  replace_peers.peers.back().allowed_ips = {prefix("10.8.0.0/16")};
  replace_peers.peers.emplace_back().public_key = b;
  replace_peers.peers.back().allowed_ips = {prefix("10.7.0.0/16")};
  apply_both(replace_peers);
  auto after = get_config();
  ASSERT_EQ(after.peers.size(), 2u);
  for (const auto& p : after.peers) {
    EXPECT_FALSE(p.endpoint);
    EXPECT_EQ(p.allowed_ips.size(), 1u);
  }
}

TEST_F(WireguardGoTest, ErrnoFromWireguardGoComesBack) {
  std::uint16_t port = 0;
  auto held = netns_->bind_udp("0.0.0.0", &port);
  ASSERT_TRUE(held) << held.error().message;
  wg::DeviceChange c;
  c.listen_port = port;
  auto r = set(ifname_, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EADDRINUSE) << r.error().message;
}

TEST_F(WireguardGoTest, MissingInterfaceIsEnoent) {
  auto r = get("wgdnone" + std::to_string(::getpid()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
}

}  // namespace
}  // namespace wgd::uapi
