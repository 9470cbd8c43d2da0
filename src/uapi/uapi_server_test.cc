// The UAPI server and client over real unix sockets in a temporary directory (no root needed):
// the socket file's life (mode, stale and live sockets, removal), the framing of requests on a
// connection, refusals that change nothing, and our client against our server.
#include "uapi/uapi_server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "uapi/uapi_client.h"
#include "uapi/uapi_fake_handler.h"
#include "uapi/uapi_protocol.h"
#include "uapi/uapi_test_util.h"

namespace wgd::uapi {
namespace {

using testing::BackgroundProcess;
using testing::describe;
using testing::FakeDevice;
using testing::RawConnection;
using testing::TempDir;
using testing::wait_until;
using wgd::UniqueFd;

std::string hex_of(const crypto::PublicKey& k) { return crypto::key_to_hex(k); }
crypto::PublicKey random_public() { return crypto::x25519_public(crypto::x25519_generate()); }

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// A socket file with nobody behind it, as a crashed process leaves.
void make_stale_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  ASSERT_TRUE(S_ISSOCK(mode_of(path)));
}

class UapiServerTest : public ::testing::Test {
 protected:
  std::unique_ptr<UapiServer> serve(std::string ifname = "wgdut0") {
    auto s = UapiServer::listen(ifname, device_, dir_.path() + "/run");
    EXPECT_TRUE(s) << s.error().message;
    if (!s) return nullptr;
    EXPECT_TRUE((*s)->start());
    return std::move(*s);
  }
  std::string path(std::string ifname = "wgdut0") { return dir_.path() + "/run/" + ifname + ".sock"; }
  RawConnection connect(const std::string& p) {
    auto c = RawConnection::open(p);
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }

  TempDir dir_;
  FakeDevice device_;
};

TEST_F(UapiServerTest, CreatesDirectory0755AndSocket0700) {
  auto server = serve();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->socket_path(), path());
  EXPECT_TRUE(S_ISDIR(mode_of(dir_.path() + "/run")));
  EXPECT_EQ(mode_of(dir_.path() + "/run") & 07777, 0755u);
  EXPECT_TRUE(S_ISSOCK(mode_of(path())));
  EXPECT_EQ(mode_of(path()) & 07777, 0700u);
}

TEST_F(UapiServerTest, ModeIs0700WhateverTheUmask) {
  mode_t old = ::umask(0);
  auto server = serve();
  ::umask(old);
  ASSERT_TRUE(server);
  EXPECT_EQ(mode_of(path()) & 07777, 0700u);
}

TEST_F(UapiServerTest, SocketRemovedOnDestruction) {
  auto server = serve();
  ASSERT_TRUE(server);
  ASSERT_TRUE(exists(path()));
  server.reset();
  EXPECT_FALSE(exists(path()));
}

TEST_F(UapiServerTest, StaleSocketIsReplaced) {
  std::filesystem::create_directories(dir_.path() + "/run");
  make_stale_socket(path());
  auto server = serve();
  ASSERT_TRUE(server);
  auto st = get(path());
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(mode_of(path()) & 07777, 0700u);
}

TEST_F(UapiServerTest, LiveSocketOfAnotherProcessIsRefused) {
  std::filesystem::create_directories(dir_.path() + "/run");
  std::string p = path();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only async-signal-safe calls in the child of a (possibly) threaded process.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0)
      ::_exit(1);
    char one = 1;
    [[maybe_unused]] auto w = ::write(ready[1], &one, 1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);

  auto server = UapiServer::listen("wgdut0", device_, dir_.path() + "/run");
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code, EADDRINUSE);
  EXPECT_NE(server.error().message.find(
                "interface wgdut0 already has a UAPI socket served by another process"),
            std::string::npos)
      << server.error().message;
  EXPECT_TRUE(exists(p)) << "the other process's socket must be left alone";
}

TEST_F(UapiServerTest, SecondServerForTheSameNameIsRefused) {
  auto first = serve();
  ASSERT_TRUE(first);
  auto second = UapiServer::listen("wgdut0", device_, dir_.path() + "/run");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, EADDRINUSE);
  // The first is untouched and still serves.
  EXPECT_TRUE(get(path()));
}

TEST_F(UapiServerTest, PathThatIsNotASocketIsLeftAlone) {
  std::filesystem::create_directories(dir_.path() + "/run");
  std::ofstream(path()) << "precious";
  auto server = UapiServer::listen("wgdut0", device_, dir_.path() + "/run");
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code, EEXIST);
  std::ifstream in(path());
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(UapiServerTest, BadInterfaceNamesAreRefused) {
  for (std::string name : {"", "a/b", "abcdefghijklmnop", ".", "..", "wg 0", "wg:0"}) {
    auto server = UapiServer::listen(name, device_, dir_.path() + "/run");
    ASSERT_FALSE(server) << name;
    EXPECT_EQ(server.error().code, EINVAL) << name;
  }
}

TEST_F(UapiServerTest, RemovedSocketIsReportedAndAReplacementIsNotDeleted) {
  std::atomic<int> reports{0};
  UapiServerOptions options;
  options.socket_dir = dir_.path() + "/run";
  options.on_socket_removed = [&] { ++reports; };
  auto server = UapiServer::listen("wgdut0", device_, options);
  ASSERT_TRUE(server) << server.error().message;
  ASSERT_TRUE((*server)->start());

  ASSERT_EQ(::unlink(path().c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return reports.load() == 1; }));
  // Someone else takes the name; destroying our server must not delete their socket.
  make_stale_socket(path());
  server->reset();
  EXPECT_TRUE(exists(path()));
  EXPECT_EQ(reports.load(), 1);
}

TEST_F(UapiServerTest, GetOnEmptyDeviceIsErrnoZero) {
  auto server = serve();
  auto c = connect(path());
  ASSERT_TRUE(c.send("get=1\n\n"));
  EXPECT_EQ(c.read_reply(), "errno=0\n\n");
}

TEST_F(UapiServerTest, SetThenGetOverOneConnection) {
  auto server = serve();
  auto peer = random_public();
  auto c = connect(path());
  ASSERT_TRUE(c.send("set=1\nlisten_port=51820\nfwmark=7\npublic_key=" + hex_of(peer) +
                     "\nendpoint=192.0.2.1:51820\nallowed_ip=10.0.0.9/24\n\n"));
  EXPECT_EQ(c.read_reply(), "errno=0\n\n");
  ASSERT_TRUE(c.send("get=1\n\n"));
  EXPECT_EQ(c.read_reply(), "listen_port=51820\nfwmark=7\npublic_key=" + hex_of(peer) +
                                "\npreshared_key=" + std::string(64, '0') +
                                "\nprotocol_version=1\nendpoint=192.0.2.1:51820\n"
                                "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n"
                                "tx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=0\n"
                                "allowed_ip=10.0.0.0/24\nerrno=0\n\n");
}

TEST_F(UapiServerTest, EmptySetIsAccepted) {
  auto server = serve();
  auto c = connect(path());
  ASSERT_TRUE(c.send("set=1\n\n"));
  EXPECT_EQ(c.read_reply(), "errno=0\n\n");
  EXPECT_EQ(device_.set_calls(), 1);
}

TEST_F(UapiServerTest, PipelinedRequestsAreAnsweredInOrder) {
  auto server = serve();
  auto c = connect(path());
  ASSERT_TRUE(c.send("set=1\nlisten_port=1\n\nget=1\n\nset=1\nlisten_port=2\n\nget=1\n\n"));
  EXPECT_EQ(c.read_reply(), "errno=0\n\n");
  EXPECT_EQ(c.read_reply(), "listen_port=1\nerrno=0\n\n");
  EXPECT_EQ(c.read_reply(), "errno=0\n\n");
  EXPECT_EQ(c.read_reply(), "listen_port=2\nerrno=0\n\n");
}

TEST_F(UapiServerTest, RequestsSplitAcrossWritesAndClientsInterleave) {
  auto server = serve();
  auto a = connect(path());
  auto b = connect(path());
  auto probe = connect(path());  // connects and says nothing, as `wg` does to detect a socket
  std::string request = "set=1\nlisten_port=4242\n\n";
  for (char ch : request) {
    ASSERT_TRUE(a.send(std::string(1, ch)));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (ch == '=') {
      ASSERT_TRUE(b.send("get=1\n\n"));
      EXPECT_EQ(b.read_reply(), "errno=0\n\n");
    }
  }
  EXPECT_EQ(a.read_reply(), "errno=0\n\n");
  ASSERT_TRUE(b.send("get=1\n\n"));
  EXPECT_EQ(b.read_reply(), "listen_port=4242\nerrno=0\n\n");
}

// What a refused request must do: the errno reply, the connection state, and no change.
struct Refusal {
  std::string name;
  std::string request;
  std::string reply;
  bool closes;
};

class UapiRefusalTest : public UapiServerTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(UapiRefusalTest, AnswersErrnoAndChangesNothing) {
  const Refusal& r = GetParam();
  auto server = serve();
  auto existing = random_public();
  ASSERT_TRUE(device_.set([&] {
    wg::DeviceChange c;
    c.listen_port = 1000;
    c.peers.emplace_back().public_key = existing;
    c.peers.back().allowed_ips.push_back(*IpPrefix::parse("10.9.0.0/16"));
    return c;
  }()));
  device_.set_busy_port(7777);
  std::string before = describe(device_.snapshot());
  int sets_before = device_.set_calls();

  auto c = connect(path());
  ASSERT_TRUE(c.send(r.request));
  EXPECT_EQ(c.read_reply(), r.reply);
  EXPECT_EQ(describe(device_.snapshot()), before);
  if (r.closes) {
    EXPECT_TRUE(c.closed_by_server());
  } else {
    ASSERT_TRUE(c.send("get=1\n\n"));
    EXPECT_NE(c.read_reply().find("listen_port=1000\n"), std::string::npos);
  }
  // A refused parse never reaches the handler (only the busy port does, and is rolled back).
  if (r.name != "handler_refuses_busy_port") {
    EXPECT_EQ(device_.set_calls(), sets_before);
  }
}

std::vector<Refusal> refusals() {
  std::string pk = "public_key=" + crypto::key_to_hex(random_public()) + "\n";
  return {
      {"unknown_key", "set=1\nlisten_port=2000\nbogus=1\n\n", "errno=-22\n\n", false},
      {"protocol_version_2", "set=1\n" + pk + "protocol_version=2\n\n", "errno=-22\n\n", false},
      {"bad_allowed_ip", "set=1\nlisten_port=2000\n" + pk + "allowed_ip=10.0.0.0/8\nallowed_ip=10.0.0.300/32\n\n",
       "errno=-22\n\n", false},
      {"bad_key", "set=1\nprivate_key=1234\n\n", "errno=-22\n\n", false},
      {"peer_key_first", "set=1\nendpoint=192.0.2.1:1\n\n", "errno=-22\n\n", false},
      {"handler_refuses_busy_port", "set=1\nlisten_port=7777\n" + pk + "\n", "errno=-98\n\n", false},
      {"line_without_equals", "set=1\nlisten_port=2000\nhello\n\n", "errno=-71\n\n", true},
      {"unknown_operation", "put=1\n\n", "errno=-71\n\n", true},
      {"blank_first_line", "\nget=1\n\n", "errno=-71\n\n", true},
      {"get_with_trailing_text", "get=1\nx\n", "errno=-71\n\n", true},
      {"no_newline_in_sight", std::string(100, 'g'), "errno=-71\n\n", true},
  };
}

INSTANTIATE_TEST_SUITE_P(Requests, UapiRefusalTest, ::testing::ValuesIn(refusals()),
                         [](const auto& info) { return info.param.name; });

// UapiRefusalTest's server uses the default limit; this one needs a small limit to test it.
TEST_F(UapiServerTest, RequestLargerThanTheLimitIsRefused) {
  UapiServerOptions options;
  options.socket_dir = dir_.path() + "/run";
  options.max_request_bytes = 4096;
  auto server = UapiServer::listen("wgdut0", device_, options);
  ASSERT_TRUE(server);
  ASSERT_TRUE((*server)->start());
  std::string big = "set=1\npublic_key=" + crypto::key_to_hex(random_public()) + "\n";
  while (big.size() < 5000) big += "allowed_ip=10.0.0.0/8\n";
  auto c = connect(path());
  ASSERT_TRUE(c.send(big));  // no blank line yet: the limit, not the end, stops it
  EXPECT_EQ(c.read_reply(), "errno=-90\n\n");
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(device_.set_calls(), 0);
}

TEST_F(UapiServerTest, ConnectionsBeyondTheLimitAreClosed) {
  UapiServerOptions options;
  options.socket_dir = dir_.path() + "/run";
  options.max_clients = 2;
  auto server = UapiServer::listen("wgdut0", device_, options);
  ASSERT_TRUE(server);
  ASSERT_TRUE((*server)->start());
  auto a = connect(path());
  auto b = connect(path());
  ASSERT_TRUE(a.send("get=1\n\n"));
  EXPECT_EQ(a.read_reply(), "errno=0\n\n");
  ASSERT_TRUE(b.send("get=1\n\n"));
  EXPECT_EQ(b.read_reply(), "errno=0\n\n");
  auto c = connect(path());
  EXPECT_TRUE(c.closed_by_server());
  // Once a slot frees up, new clients are served again.
  { RawConnection gone = std::move(a); }
  EXPECT_TRUE(wait_until([&] {
    auto d = RawConnection::open(path());
    return d && d->send("get=1\n\n") && d->read_reply(std::chrono::milliseconds(200)) == "errno=0\n\n";
  }));
}

TEST_F(UapiServerTest, OutOfDescriptorsPausesAcceptingWithoutSpinningThenRecovers) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check probes memory through pipe(), which fails with the table full and turns
  // into a false "invalid vptr" report; the normal build runs this test.
  GTEST_SKIP() << "needs free descriptors for the sanitizer runtime";
#endif
  auto server = serve();
  ASSERT_TRUE(server);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  // Fill the table, then free exactly one slot: the client's socket takes it and the server's
  // accept() finds none.
  std::vector<UniqueFd> fillers;
  for (;;) {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd) break;
    fillers.push_back(std::move(fd));
  }
  ASSERT_EQ(errno, EMFILE);
  fillers.pop_back();
  auto client = RawConnection::open(path());
  ASSERT_TRUE(client) << client.error().message;

  rusage before{}, after{};
  ::getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::getrusage(RUSAGE_SELF, &after);
  auto cpu_us = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000L + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
  };
  EXPECT_LT(cpu_us(after) - cpu_us(before), 100000) << "the server thread spins on accept()";

  fillers.clear();
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(client->send("get=1\n\n"));
  EXPECT_EQ(client->read_reply(std::chrono::seconds(3)), "errno=0\n\n");
}

TEST_F(UapiServerTest, EventLoopModeServesThroughFdAndHandleReady) {
  auto server = UapiServer::listen("wgdut0", device_, dir_.path() + "/run");
  ASSERT_TRUE(server);
  std::atomic<bool> done{false};
  Result<void> result = fail("not run");
  std::thread client([&] {
    wg::DeviceChange c;
    c.listen_port = 3333;
    result = set(path(), c);
    done = true;
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    pollfd p{(*server)->fd(), POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) (*server)->handle_ready();
  }
  client.join();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(device_.snapshot().listen_port, 3333);
}

TEST_F(UapiServerTest, ClientRoundTripsEveryKeyThroughOurServer) {
  auto server = serve();
  wg::DeviceChange change;
  change.private_key = crypto::x25519_generate();
  change.listen_port = 51820;
  change.fwmark = 0x1234;
  change.replace_peers = true;
  auto a = random_public(), b = random_public();
  wg::PeerChange& pa = change.peers.emplace_back();
  pa.public_key = a;
  pa.preshared_key = crypto::x25519_generate();
  pa.endpoint = *Endpoint::parse("[2001:db8::1]:51821");
  pa.persistent_keepalive = 25;
  pa.replace_allowed_ips = true;
  pa.allowed_ips = {*IpPrefix::parse("10.0.0.2/32"), *IpPrefix::parse("2001:db8:2::/64")};
  wg::PeerChange& pb = change.peers.emplace_back();
  pb.public_key = b;
  pb.endpoint = *Endpoint::parse("198.51.100.7:9");
  pb.allowed_ips = {*IpPrefix::parse("10.0.0.3/32")};
  ASSERT_TRUE(set(path(), change));

  device_.mutate([](wg::DeviceStatus& s) {
    s.peers[0].rx_bytes = 1234;
    s.peers[0].tx_bytes = 5678;
    s.peers[0].last_handshake_sec = 1700000000;
    s.peers[0].last_handshake_nsec = 42;
  });
  auto got = get(path());
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(describe(*got), describe(device_.snapshot()));
  ASSERT_TRUE(got->public_key);
  EXPECT_EQ(*got->public_key, crypto::x25519_public(*change.private_key));
  ASSERT_EQ(got->peers.size(), 2u);
  EXPECT_EQ(got->peers[0].rx_bytes, 1234u);

  // update_only skips a peer that does not exist; remove and a zero preshared key take effect.
  wg::DeviceChange next;
  next.peers.emplace_back().public_key = random_public();
  next.peers.back().update_only = true;
  next.peers.emplace_back().public_key = a;
  next.peers.back().preshared_key = crypto::PresharedKey();
  next.peers.emplace_back().public_key = b;
  next.peers.back().remove = true;
  ASSERT_TRUE(set(path(), next));
  got = get(path());
  ASSERT_TRUE(got);
  ASSERT_EQ(got->peers.size(), 1u);
  EXPECT_EQ(got->peers[0].public_key, a);
  EXPECT_FALSE(got->peers[0].preshared_key);
}

TEST_F(UapiServerTest, ClientReportsServerErrno) {
  auto server = serve();
  device_.set_busy_port(7777);
  wg::DeviceChange c;
  c.listen_port = 7777;
  auto r = set(path(), c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EADDRINUSE);
}

TEST_F(UapiServerTest, ClientErrorsForMissingAndStaleSockets) {
  auto missing = get(path("wgdnone"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  std::filesystem::create_directories(dir_.path() + "/run");
  make_stale_socket(path("wgdstale"));
  auto stale = set(path("wgdstale"), wg::DeviceChange{});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ECONNREFUSED);
  auto bad_name = get("a:b");
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code, EINVAL);
}

TEST_F(UapiServerTest, ClientTimesOutOnASilentServer) {
  std::filesystem::create_directories(dir_.path() + "/run");
  // Listening but never answering: the client must give up with ETIMEDOUT, not hang.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path().c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  auto r = get(path(), std::chrono::milliseconds(200));
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ETIMEDOUT);
}

}  // namespace
}  // namespace wgd::uapi
