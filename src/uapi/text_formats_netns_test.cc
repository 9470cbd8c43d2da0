// Our `wg show` / `wg showconf` / `wg-quick strip` text against the real tools (Debian's
// wireguard-tools and wireguard-go), byte for byte.
//
//   this test process ── unshare(CLONE_NEWNET | CLONE_NEWNS) ──────────────────────────────┐
//   │ private network namespace: only lo                                                   │
//   │ private mount namespace: a tmpfs on /run/wireguard, so `wg show all` sees our        │
//   │   sockets only, whatever else runs on the machine                                    │
//   │                                                                                      │
//   │  wireguard-go -f wgdtfA   every field: 5 peers, psk, v4+v6, endpoints, keepalive,    │
//   │                           fwmark; link down, so it never sends a packet              │
//   │  wireguard-go -f wgdtfB   nothing configured                                         │
//   │  wireguard-go -f wgdtfC ── lo 127.0.0.1:51830 <-> 127.0.0.1:51831 ── wireguard-go -f wgdtfD
//   │                           links up: a real handshake and real transfer counters      │
//   └──────────────────────────────────────────────────────────────────────────────────────┘
//
// The namespaces need no cleanup: they vanish with the test process, and every wireguard-go is
// started with PR_SET_PDEATHSIG so it dies with us even if the test crashes. Each test reads the
// device back with `wg show IF dump`, builds a wg::DeviceStatus from it and renders that.
// wireguard-go lists peers in Go map order, which changes from one call to the next, so before
// each comparison the status's peers are put in the order that output shows (the device order
// is an input of the renderers, not something they decide).
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "uapi/showconf.h"
#include "uapi/text_formats_test_support.h"
#include "uapi/wg_quick_config.h"
#include "uapi/wg_quick_device.h"
#include "uapi/wg_show.h"
#include "util/unique_fd.h"

extern char** environ;

namespace wgd::uapi {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- processes ----

std::string find_program(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? end : end - start);
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return name;
}

// Our environment without the variables that change wg's output, plus `extra`.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view v(*e);
    if (v.starts_with("WG_COLOR_MODE=") || v.starts_with("WG_HIDE_KEYS=") ||
        v.starts_with("WG_ENDPOINT_RESOLUTION_RETRIES="))
      continue;
    env.emplace_back(v);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct RunResult {
  int status = -1;
  std::string out, err;
};

// Runs a program to completion, stdin from /dev/null, stdout and stderr captured.
RunResult run(std::vector<std::string> argv, const std::vector<std::string>& env_extra = {}) {
  RunResult r;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) return r;
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);
  std::string program = find_program(argv[0]);
  auto env = child_environment(env_extra);
  auto cargv = c_strings(argv);
  auto cenv = c_strings(env);
  pid_t pid = fork();
  if (pid < 0) return r;
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out_w.get(), 1);
    dup2(err_w.get(), 2);
    execve(program.c_str(), cargv.data(), cenv.data());
    _exit(127);
  }
  out_w.reset();
  err_w.reset();
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// `wg ...` that must succeed; its stdout.
std::string wg(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), "wg");
  auto r = run(args, env);
  EXPECT_EQ(r.status, 0) << fmt::format("{}", fmt::join(args, " ")) << ": " << r.err;
  return r.out;
}

void must(std::vector<std::string> argv) {
  auto r = run(argv);
  ASSERT_EQ(r.status, 0) << fmt::format("{}", fmt::join(argv, " ")) << ": " << r.err;
}

// A wireguard-go in the foreground, killed (and reaped) when this object goes away, and killed by
// the kernel if this process dies first.
class WireguardGo {
 public:
  explicit WireguardGo(std::string name) : name_(std::move(name)) {
    std::string program = find_program("wireguard-go");
    std::vector<std::string> argv = {"wireguard-go", "-f", name_};
    auto env = child_environment({});
    auto cargv = c_strings(argv);
    auto cenv = c_strings(env);
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      execve(program.c_str(), cargv.data(), cenv.data());
      _exit(127);
    }
  }
  WireguardGo(const WireguardGo&) = delete;
  WireguardGo& operator=(const WireguardGo&) = delete;
  ~WireguardGo() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }

  // Waits for the UAPI socket; false if wireguard-go exited or took too long.
  bool ready() const {
    const std::string sock = "/run/wireguard/" + name_ + ".sock";
    for (int i = 0; i < 100; ++i) {
      if (access(sock.c_str(), F_OK) == 0) return true;
      int status;
      if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) == pid_) return false;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  pid_t pid_ = -1;
};

// ---- keys and files ----

std::string new_private_key() {
  auto k = crypto::x25519_generate();
  return crypto::key_to_base64(k.span());
}
std::string public_of(const std::string& priv) {
  return crypto::key_to_base64(crypto::x25519_public(test::secret_key(priv)));
}
std::string new_psk() {
  std::array<std::uint8_t, 32> b;
  crypto::random_bytes(b);
  return crypto::key_to_base64(b);
}

// A 0700 directory for config files, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/wgdtf-XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    UniqueFd f(fd);
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    return p;
  }

 private:
  std::string path_;
};

// ---- comparing ----

// The status's peers in the order their public keys first appear in `text`.
wg::DeviceStatus ordered_as_in(const wg::DeviceStatus& status, std::string_view text) {
  wg::DeviceStatus s;
  if (status.private_key) s.private_key = status.private_key->clone();
  s.public_key = status.public_key;
  s.listen_port = status.listen_port;
  s.fwmark = status.fwmark;
  std::vector<std::pair<std::size_t, const wg::PeerStatus*>> order;
  for (const auto& p : status.peers)
    order.emplace_back(text.find(crypto::key_to_base64(p.public_key)), &p);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [pos, p] : order) s.peers.push_back(p->clone());
  return s;
}

wg::DeviceStatus read_status(const std::string& name) {
  auto s = test::parse_show_dump(wg({"show", name, "dump"}));
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(*s) : wg::DeviceStatus{};
}

// Dump lines as a set: equal when nothing but the peer order changed between two reads.
std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

const ShowField kAllFields[] = {ShowField::kPublicKey,
                                ShowField::kPrivateKey,
                                ShowField::kListenPort,
                                ShowField::kFwmark,
                                ShowField::kPeers,
                                ShowField::kPresharedKeys,
                                ShowField::kEndpoints,
                                ShowField::kAllowedIps,
                                ShowField::kLatestHandshakes,
                                ShowField::kTransfer,
                                ShowField::kPersistentKeepalive,
                                ShowField::kDump};

class TextFormatsNetns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static bool done = false;
    if (done) return;
    done = true;
    // A namespace of our own for everything this process and its children do.
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
      setup_error_ = fmt::format("unshare: {} (this test needs root)", std::strerror(errno));
      return;
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        (mkdir("/run/wireguard", 0700) != 0 && errno != EEXIST) ||
        mount("wgdtf", "/run/wireguard", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") !=
            0) {
      setup_error_ = fmt::format("private /run/wireguard: {}", std::strerror(errno));
      return;
    }
    for (auto tool : {"wg", "wg-quick", "wireguard-go", "ip"})
      if (find_program(tool) == tool) setup_error_ = fmt::format("{} is not installed", tool);
  }

  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static inline std::string setup_error_;
};

// Device A's file: every field `wg show` knows, plus wg-quick keys that strip must drop.
struct DeviceA {
  std::string priv = new_private_key();
  std::string p[5] = {public_of(new_private_key()), public_of(new_private_key()),
                      public_of(new_private_key()), public_of(new_private_key()),
                      public_of(new_private_key())};
  std::string psk1 = new_psk(), psk5 = new_psk();

  std::string file() const {
    return fmt::format(R"(# gateway A: every field wg shows
[Interface]
PrivateKey = {}
ListenPort = 51820
FwMark = 0x1234abcd
Address = 10.10.0.1/24, fd10::1/64
DNS = 10.10.0.53, example.internal
MTU = 1420
Table = off
PostUp = echo up %i

# p1: preshared key, both families, keepalive
[Peer]
PublicKey = {}
PresharedKey = {}
AllowedIPs = 10.10.0.2/32, fd10::2/128
Endpoint = 192.0.2.10:51820
PersistentKeepalive = 25

[Peer]
PublicKey = {}
AllowedIPs = 10.10.1.0/24
AllowedIPs = 2001:db8:1::/48
Endpoint = [2001:db8::20]:4500

[Peer]
PublicKey = {}

[Peer]
PublicKey = {}
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = localhost:51829
PersistentKeepalive = 1

# host bits set: the device keeps 10.10.2.0/24
[Peer]
PublicKey = {}
PresharedKey = {}
AllowedIPs = 10.10.2.7/24
Endpoint = [fe80::1%lo]:51820
PersistentKeepalive = 65535
)",
                       priv, p[0], psk1, p[1], p[2], p[3], p[4], psk5);
  }
};

TEST_F(TextFormatsNetns, ShowAndShowconfMatchWgForEveryField) {
  TempDir dir;
  DeviceA a;
  auto config = parse_wg_quick(a.file(), "wgdtfA.conf");
  ASSERT_TRUE(config) << config.error().message;
  auto stripped = strip_wg_quick(*config);
  ASSERT_TRUE(stripped) << stripped.error().message;

  WireguardGo dev_a("wgdtfA"), dev_b("wgdtfB");
  ASSERT_TRUE(dev_a.ready());
  ASSERT_TRUE(dev_b.ready());
  // Our strip output is what configures the device: `wg setconf` must accept it.
  wg({"setconf", "wgdtfA", dir.write("a.conf", *stripped)});

  const auto status_a = read_status("wgdtfA");
  const auto status_b = read_status("wgdtfB");
  ASSERT_EQ(status_a.peers.size(), 5u);
  EXPECT_TRUE(status_b.peers.empty());
  EXPECT_FALSE(status_b.private_key);

  // The device holds what to_device_change says setconf means, endpoints resolved by our
  // resolver ("localhost" included) to what wg resolved.
  auto change = to_device_change(*config, [](std::string_view hp) { return resolve_endpoint(hp); });
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_EQ(status_a.listen_port, change->listen_port);
  EXPECT_EQ(status_a.fwmark, change->fwmark);
  EXPECT_EQ(crypto::key_to_base64(status_a.private_key->span()),
            crypto::key_to_base64(change->private_key->span()));
  for (const auto& want : change->peers) {
    auto got = std::find_if(status_a.peers.begin(), status_a.peers.end(),
                            [&](const auto& p) { return p.public_key == want.public_key; });
    ASSERT_NE(got, status_a.peers.end());
    EXPECT_EQ(has_preshared_key(*got), want.preshared_key.has_value());
    if (want.preshared_key) {
      EXPECT_EQ(crypto::key_to_base64(got->preshared_key->span()),
                crypto::key_to_base64(want.preshared_key->span()));
    }
    EXPECT_EQ(got->persistent_keepalive, want.persistent_keepalive.value_or(0));
    ASSERT_EQ(got->endpoint.has_value(), want.endpoint.has_value());
    if (want.endpoint) {  // wireguard-go drops the scope of a link-local endpoint in its report
      EXPECT_EQ(got->endpoint->address, want.endpoint->address);
      EXPECT_EQ(got->endpoint->port, want.endpoint->port);
    }
    std::vector<IpPrefix> expected_ips;
    for (const auto& ip : want.allowed_ips) expected_ips.push_back(ip.canonical());
    auto got_ips = got->allowed_ips;
    std::sort(expected_ips.begin(), expected_ips.end());
    std::sort(got_ips.begin(), got_ips.end());
    EXPECT_EQ(got_ips, expected_ips);
  }

  // showconf
  {
    auto out = wg({"showconf", "wgdtfA"});
    EXPECT_EQ(render_showconf(ordered_as_in(status_a, out)), out);
    auto out_b = wg({"showconf", "wgdtfB"});
    EXPECT_EQ(render_showconf(status_b), out_b);
  }

  // The pretty form: no terminal, colour forced, keys shown.
  const std::int64_t now = std::time(nullptr);  // no handshakes yet: `now` plays no part
  struct Variant {
    std::vector<std::string> env;
    ShowStyle style;
  };
  const Variant variants[] = {{{}, {false, true, now}},
                              {{"WG_COLOR_MODE=always"}, {true, true, now}},
                              {{"WG_HIDE_KEYS=never"}, {false, false, now}},
                              {{"WG_COLOR_MODE=always", "WG_HIDE_KEYS=never"}, {true, false, now}}};
  for (const auto& v : variants) {
    auto out = wg({"show", "wgdtfA"}, v.env);
    EXPECT_EQ(render_show_pretty("wgdtfA", ordered_as_in(status_a, out), v.style), out)
        << fmt::format("{}", fmt::join(v.env, " "));
    EXPECT_EQ(render_show_pretty("wgdtfB", status_b, v.style), wg({"show", "wgdtfB"}, v.env));
  }

  // Every single field, for one interface.
  for (auto field : kAllFields) {
    std::string name(show_field_name(field));
    auto out = wg({"show", "wgdtfA", name});
    EXPECT_EQ(render_show_field("wgdtfA", ordered_as_in(status_a, out), field), out) << name;
    EXPECT_EQ(render_show_field("wgdtfB", status_b, field), wg({"show", "wgdtfB", name})) << name;
  }

  // `all`: in the order wg lists the interfaces.
  std::vector<std::string> names;
  {
    auto list = wg({"show", "interfaces"});
    ASSERT_TRUE(list == "wgdtfA wgdtfB\n" || list == "wgdtfB wgdtfA\n") << list;
    names = {list.substr(0, 6), list.substr(7, 6)};
  }
  auto devices_for = [&](const std::string& out, std::vector<wg::DeviceStatus>& storage) {
    storage.clear();
    storage.push_back(ordered_as_in(status_a, out));
    storage.push_back(ordered_as_in(status_b, out));
    std::vector<NamedDevice> d;
    for (const auto& n : names) d.push_back({n, n == "wgdtfA" ? &storage[0] : &storage[1]});
    return d;
  };
  std::vector<wg::DeviceStatus> storage;
  for (const auto& args :
       {std::vector<std::string>{"show"}, std::vector<std::string>{"show", "all"}}) {
    auto out = wg(args);
    EXPECT_EQ(render_show_all_pretty(devices_for(out, storage), ShowStyle{false, true, now}), out);
  }
  for (auto field : kAllFields) {
    std::string name(show_field_name(field));
    auto out = wg({"show", "all", name});
    auto devices = devices_for(out, storage);
    std::string ours = render_show_all_field(devices, field);
    if (field != ShowField::kEndpoints) {
      EXPECT_EQ(ours, out) << name;
      continue;
    }
    // wireguard-tools 1.0.20210914 prints "IF\t" once per interface for this field (fixed
    // upstream later); our per-line form is accepted from a fixed wg too.
    std::string legacy;
    for (const auto& d : devices)
      legacy += std::string(d.name) + "\t" + render_show_field(d.name, *d.status, field, false);
    EXPECT_TRUE(out == legacy || out == ours) << out;
  }
}

TEST_F(TextFormatsNetns, StripMatchesWgQuickStrip) {
  TempDir dir;
  DeviceA a;
  const std::string path = dir.write("wgdtfA.conf", a.file());
  auto r = run({"wg-quick", "strip", path});
  ASSERT_EQ(r.status, 0) << r.err;
  // wg-quick's choice of lines and ours configure the same thing.
  auto theirs = parse_wg_quick(r.out, "wg-quick-strip.conf");
  ASSERT_TRUE(theirs) << theirs.error().message << "\n" << r.out;
  auto ours = parse_wg_quick(a.file(), "wgdtfA.conf");
  ASSERT_TRUE(ours);
  EXPECT_EQ(strip_wg_quick(*theirs).value(), strip_wg_quick(*ours).value());
  EXPECT_EQ(r.out.find("Address"), std::string::npos);
  EXPECT_EQ(r.out.find("PostUp"), std::string::npos);
}

TEST_F(TextFormatsNetns, LivePairHandshakeAndTransferMatchWg) {
  TempDir dir;
  const std::string priv_c = new_private_key(), priv_d = new_private_key();
  const std::string idle = public_of(new_private_key());  // never answers: sorts last
  const std::string conf_c = fmt::format(R"([Interface]
PrivateKey = {}
ListenPort = 51830
[Peer]
PublicKey = {}
AllowedIPs = 10.99.0.9/32
[Peer]
PublicKey = {}
AllowedIPs = 10.99.0.2/32
Endpoint = 127.0.0.1:51831
PersistentKeepalive = 1
)",
                                         priv_c, idle, public_of(priv_d));
  const std::string conf_d = fmt::format(R"([Interface]
PrivateKey = {}
ListenPort = 51831
[Peer]
PublicKey = {}
AllowedIPs = 10.99.0.1/32
Endpoint = 127.0.0.1:51830
)",
                                         priv_d, public_of(priv_c));
  WireguardGo c("wgdtfC"), d("wgdtfD");
  ASSERT_TRUE(c.ready());
  ASSERT_TRUE(d.ready());
  for (auto [name, text] : {std::pair{"wgdtfC", conf_c}, std::pair{"wgdtfD", conf_d}}) {
    auto model = parse_wg_quick(text, "live.conf");
    ASSERT_TRUE(model) << model.error().message;
    wg({"setconf", name, dir.write(std::string(name) + ".conf", strip_wg_quick(*model).value())});
  }
  must({"ip", "link", "set", "lo", "up"});
  must({"ip", "address", "add", "10.99.0.1/32", "dev", "wgdtfC"});
  must({"ip", "link", "set", "wgdtfC", "up"});
  must({"ip", "link", "set", "wgdtfD", "up"});
  must({"ip", "route", "add", "10.99.0.2/32", "dev", "wgdtfC"});

  // The keepalive starts a handshake; wait for it, then stop the keepalives so the counters
  // hold still while we compare.
  std::int64_t handshake = 0;
  for (int i = 0; i < 100 && handshake == 0; ++i) {
    std::this_thread::sleep_for(100ms);
    auto s = read_status("wgdtfC");
    for (const auto& p : s.peers) handshake = std::max(handshake, p.last_handshake_sec);
  }
  ASSERT_NE(handshake, 0) << "no handshake between wgdtfC and wgdtfD";
  wg({"set", "wgdtfC", "peer", public_of(priv_d), "persistent-keepalive", "off"});

  // Some data through the tunnel (to an address nobody has: D decrypts and the kernel drops it),
  // so the counters reach KiB.
  {
    UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(sock);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    inet_pton(AF_INET, "10.99.0.2", &to.sin_addr);
    std::string payload(1200, 'x');
    for (int i = 0; i < 5; ++i)
      ASSERT_EQ(sendto(sock.get(), payload.data(), payload.size(), 0,
                       reinterpret_cast<sockaddr*>(&to), sizeof to),
                static_cast<ssize_t>(payload.size()));
  }
  std::this_thread::sleep_for(1500ms);  // let "latest handshake" be some seconds ago

  // Compare when nothing moved between two dumps and the clock stayed in one second.
  auto stable_compare = [&](const std::string& name, std::vector<std::string> show_args,
                            std::vector<std::string> env, auto render) {
    for (int attempt = 0; attempt < 30; ++attempt) {
      const std::int64_t before = std::time(nullptr);
      auto dump1 = wg({"show", name, "dump"});
      auto out = wg(show_args, env);
      auto dump2 = wg({"show", name, "dump"});
      const std::int64_t after = std::time(nullptr);
      if (before != after || sorted_lines(dump1) != sorted_lines(dump2)) {
        std::this_thread::sleep_for(200ms);
        continue;
      }
      auto status = test::parse_show_dump(dump1);
      ASSERT_TRUE(status) << status.error().message;
      EXPECT_EQ(render(ordered_as_in(*status, out), before), out);
      return;
    }
    FAIL() << "the device never held still for a comparison";
  };
  for (auto [name, peers] : {std::pair{"wgdtfC", 2u}, std::pair{"wgdtfD", 1u}}) {
    const std::string n = name;
    auto s = read_status(n);
    ASSERT_EQ(s.peers.size(), peers);
    bool counted = std::any_of(s.peers.begin(), s.peers.end(), [](const auto& p) {
      return p.tx_bytes > 1024 || p.rx_bytes > 1024;
    });
    EXPECT_TRUE(counted) << n << ": expected KiB of transfer";
    for (bool color : {false, true}) {
      std::vector<std::string> env;
      if (color) env.push_back("WG_COLOR_MODE=always");
      stable_compare(n, {"show", n}, env, [&](const wg::DeviceStatus& st, std::int64_t now) {
        return render_show_pretty(n, st, ShowStyle{color, true, now});
      });
    }
    for (auto field : {ShowField::kLatestHandshakes, ShowField::kTransfer, ShowField::kDump,
                       ShowField::kEndpoints}) {
      stable_compare(n, {"show", n, std::string(show_field_name(field))}, {},
                     [&](const wg::DeviceStatus& st, std::int64_t) {
                       return render_show_field(n, st, field);
                     });
    }
  }
}

}  // namespace
}  // namespace wgd::uapi
