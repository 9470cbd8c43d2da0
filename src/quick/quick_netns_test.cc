// `wgd up`/`wgd down`/`wgd show` end to end, as root, against the real tools: wireguard-go as the
// peer, and the real wg-quick (running our wgd-tunnel as WG_QUICK_USERSPACE_IMPLEMENTATION) on the
// same file in a namespace of its own, whose addresses, routes, rules, fwmark and firewall rules
// ours must equal.
//
//   this test process ── unshare(CLONE_NEWNS): a tmpfs on /run/wireguard, so the sockets seen
//   │                    by `wg show all` are this test's only
//   │
//   │  ns A ("wgd up")                          ns P (peer)
//   │   wq<pid><id>a (wgd tunnel)               wq<pid><id>p (wireguard-go -f)
//   │     10.77.0.1/24, fd77::1/64  <=======>     10.77.0.2/24, fd77::2/64
//   │   veth 198.51.100.1/24, 2001:db8:1::1/64 ── veth 198.51.100.2/24, 2001:db8:1::2/64
//   │     (MTU 1400, default routes via P)         203.0.113.1, 2001:db8:ff::1 on lo ("outside")
//   │
//   │  ns Q ("wg-quick up" of the same file, renamed wq<pid><id>q)
//   │   a veth pair with A's addresses, MTU and default routes, so route lookups answer alike
//
// Namespaces are "wq-<pid>-<n>" (net/netns_test_util.h removes them even when a test fails);
// interfaces "wq<pid><id><side>". Before the namespaces go, every link of ours is deleted, which
// ends the tunnel processes; tunnels left by a crashed earlier run (pid gone) are killed at start.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/ranges.h>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "net/netns_test_util.h"
#include "quick/directory.h"
#include "quick/process.h"
#include "quick/quick_test_util.h"

namespace wgd::quick {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::TempDir;
using wgd::testing::TestNetns;

const std::string kWgd = WGD_BINARY;
const std::string kWgdTunnel = std::string(WGD_BINARY) + "-tunnel";  // the wgd-tunnel link
constexpr std::string_view kPrefix = "wq";

struct Outcome {
  int status = -1;
  std::string out, err;
};

// ARGV (first word looked up in PATH) with ENV added; stdin empty.
Outcome run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.stdin_text = "";
  spec.capture_stdout = spec.capture_stderr = true;
  spec.set_env = env;
  spec.unset_env = {"WG_COLOR_MODE", "WG_HIDE_KEYS", "WG_ENDPOINT_RESOLUTION_RETRIES"};
  auto r = run_process(spec);
  if (!r) return {-1, "", r.error().message};
  return {r->exit_status, std::move(r->out), std::move(r->err)};
}

Outcome in_ns(const TestNetns& ns, std::vector<std::string> argv,
          const std::vector<std::string>& env = {}) {
  argv.insert(argv.begin(), {"ip", "netns", "exec", ns.name()});
  return run(argv, env);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
  return s;
}

std::string read_cmdline(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/cmdline");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> split_nul(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto end = s.find('\0', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Tunnel processes serving interface IF: `wgd tunnel IF` (what wgd up starts) and
// `wgd-tunnel IF` (what wg-quick starts).
std::vector<pid_t> tunnel_pids(const std::function<bool(const std::string&)>& name_matches) {
  std::vector<pid_t> pids;
  Directory proc = open_directory("/proc");
  while (dirent* e = proc ? ::readdir(proc.get()) : nullptr) {
    std::string pid = e->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto argv = split_nul(read_cmdline(pid));
    if (argv.size() < 2 || !name_matches(argv.back())) continue;
    std::string_view prog = argv[0];
    prog = prog.substr(prog.rfind('/') == std::string_view::npos ? 0 : prog.rfind('/') + 1);
    bool ours = (prog == "wgd" && argv.size() == 3 && argv[1] == "tunnel") ||
                (prog == "wgd-tunnel" && argv.size() == 2);
    if (ours) pids.push_back(static_cast<pid_t>(std::stol(pid)));
  }
  return pids;
}

std::vector<pid_t> tunnel_pids(const std::string& ifname) {
  return tunnel_pids([&](const std::string& n) { return n == ifname; });
}

void kill_and_wait(const std::vector<pid_t>& pids) {
  for (pid_t p : pids) ::kill(p, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    bool alive = false;
    for (pid_t p : pids) alive = alive || ::kill(p, 0) == 0;
    if (!alive) return;
    std::this_thread::sleep_for(20ms);
  }
  for (pid_t p : pids) ::kill(p, SIGKILL);
}

// Tunnels of an earlier run of this test that crashed: "wq<pid><id><side>" with <pid> gone.
void kill_stale_tunnels() {
  kill_and_wait(tunnel_pids([](const std::string& name) {
    // wq, digits, then exactly three lowercase letters.
    if (name.size() < 6 || !name.starts_with("wq")) return false;
    std::string_view digits = std::string_view(name).substr(2, name.size() - 5);
    std::string_view letters = std::string_view(name).substr(name.size() - 3);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos ||
        letters.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string_view::npos)
      return false;
    pid_t owner = static_cast<pid_t>(std::stol(std::string(digits)));
    return owner != ::getpid() && ::kill(owner, 0) < 0 && errno == ESRCH;
  }));
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string socket_of(const std::string& ifname) {
  return "/run/wireguard/" + ifname + ".sock";
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

struct Keys {
  std::string private_key, public_key;
};
Keys new_keys() {
  auto k = crypto::x25519_generate();
  return {crypto::key_to_base64(k.span()), crypto::key_to_base64(crypto::x25519_public(k))};
}

// ---- JSON from ip(8), made comparable across namespaces ----

// Drops what differs between two namespaces by nature: interface indexes and the IPv6
// link-local addresses the kernel derives per namespace (stable-privacy), with their routes.
void normalize(json& j) {
  if (j.is_array()) {
    json kept = json::array();
    for (auto& e : j) {
      if (e.is_object()) {
        if (e.value("scope", "") == "link" && e.value("family", "") == "inet6") continue;
        std::string dst = e.value("dst", "");
        if (dst.starts_with("fe80::") && dst != "fe80::/64") continue;
      }
      normalize(e);
      kept.push_back(std::move(e));
    }
    j = std::move(kept);
  } else if (j.is_object()) {
    j.erase("ifindex");
    j.erase("link_index");
    for (auto& [k, v] : j.items()) normalize(v);
  }
}

json ip_json(const TestNetns& ns, const std::vector<std::string>& args,
             const std::string& rename_from = "", const std::string& rename_to = "") {
  std::vector<std::string> argv = {"ip", "-j", "-n", ns.name()};
  argv.insert(argv.end(), args.begin(), args.end());
  Outcome r = run(argv);
  EXPECT_EQ(r.status, 0) << r.err;
  std::string text = rename_from.empty() ? r.out : replace_all(r.out, rename_from, rename_to);
  if (text.find_first_not_of(" \n") == std::string::npos) return json::array();
  json j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  normalize(j);
  return j;
}

// Packet counters ("[12:345]", "packets 12 bytes 345") are zeroed; the kernel's link-local
// address, which differs per namespace (see normalize()), becomes "fe80::LINK-LOCAL".
std::string masked_firewall_line(const std::string& line) {
  std::string out;
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] == '[') {
      auto close = line.find(']', i);
      if (close != std::string::npos &&
          line.find_first_not_of("0123456789:", i + 1) == close) {
        out += "[]";
        i = close + 1;
        continue;
      }
    }
    bool counted = false;
    for (std::string_view word : {"packets ", "bytes "}) {
      if (line.compare(i, word.size(), word) == 0) {
        out += word;
        out += "0";
        i = line.find_first_not_of("0123456789", i + word.size());
        counted = true;
        break;
      }
    }
    if (counted) {
      if (i == std::string::npos) break;
      continue;
    }
    if (line.compare(i, 6, "fe80::") == 0) {
      out += "fe80::LINK-LOCAL";
      i = line.find_first_not_of("0123456789abcdef:", i + 6);
      if (i == std::string::npos) break;
      continue;
    }
    out += line[i++];
  }
  return out;
}

// Every firewall rule of the namespace: iptables-save and ip6tables-save (without their date
// lines) and, where nft is installed, `nft list ruleset` (which also shows iptables-nft's
// tables), masked as above.
std::string firewall_state(const TestNetns& ns, const std::string& rename_from = "",
                           const std::string& rename_to = "") {
  std::string out;
  std::vector<std::vector<std::string>> commands = {{"iptables-save"}, {"ip6tables-save"}};
  if (find_in_path("nft")) commands.push_back({"nft", "list", "ruleset"});
  for (const auto& command : commands) {
    Outcome r = in_ns(ns, command);
    EXPECT_EQ(r.status, 0) << command[0] << ": " << r.err;
    out += "== " + command[0] + "\n";
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line))
      if (!line.starts_with("#")) out += masked_firewall_line(line) + "\n";
  }
  return rename_from.empty() ? out : replace_all(out, rename_from, rename_to);
}

// A directory whose PATH, with /usr/bin and /bin, offers the iptables tools, ip and sysctl
// but no nft: wg-quick and wgd then both take the iptables-restore path.
std::string path_without_nft(const TempDir& dir) {
  const std::string bin = dir.file("no-nft-bin");
  ::mkdir(bin.c_str(), 0755);
  for (auto tool : {"ip", "sysctl", "iptables", "iptables-save", "iptables-restore", "ip6tables",
                    "ip6tables-save", "ip6tables-restore"})
    if (auto real = find_in_path(tool)) (void)::symlink(real->c_str(), (bin + "/" + tool).c_str());
  return "PATH=" + bin + ":/usr/bin:/bin";
}

// ---- the fixture ----

class QuickNetnsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      setup_error_ = "needs root";
      return;
    }
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        (::mkdir("/run/wireguard", 0700) != 0 && errno != EEXIST) ||
        ::mount("wgdquick", "/run/wireguard", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=0700") != 0) {
      setup_error_ = fmt::format("private /run/wireguard: {}", std::strerror(errno));
      return;
    }
    for (auto tool : {"ip", "wg", "wg-quick", "wireguard-go", "iptables-save", "ping", "bash"})
      if (!find_in_path(tool)) setup_error_ += fmt::format("{} is not installed; ", tool);
    if (::access(kWgdTunnel.c_str(), X_OK) != 0) setup_error_ += kWgdTunnel + " is missing; ";
    kill_stale_tunnels();
  }

  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_FALSE(dir_.path().empty());
    static int test_number = 0;
    int n = test_number++;
    id_ = fmt::format("wq{}{}{}", ::getpid(), static_cast<char>('a' + n / 26 % 26),
                      static_cast<char>('a' + n % 26));
  }

  void TearDown() override {
    // Every link of ours goes before its namespace: that is what ends the tunnel processes.
    for (auto& [ns, ifname] : links_) (void)run({"ip", "-n", ns->name(), "link", "del", ifname});
    for (pid_t pid : background_) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
    kill_and_wait(tunnel_pids([&](const std::string& n) { return n.starts_with(id_); }));
    namespaces_.clear();
  }

  std::string ifname(char side) const { return id_ + side; }

  TestNetns& make_ns() {
    auto ns = TestNetns::create(kPrefix);
    EXPECT_TRUE(ns) << ns.error().message;
    namespaces_.push_back(std::make_unique<TestNetns>(std::move(*ns)));
    return *namespaces_.back();
  }

  void ip(const TestNetns& ns, const std::vector<std::string>& args) {
    auto r = ns.ip(args);
    ASSERT_TRUE(r) << r.error().message;
  }

  // Remembers a link to delete at the end, whoever created it.
  void own_link(const TestNetns& ns, const std::string& name) { links_.push_back({&ns, name}); }

  // A veth pair between two namespaces, "<id>v<tag>" / "<id>w<tag>", both ends up.
  void veth(const TestNetns& a, const TestNetns& b, char tag, const std::string& a_v4,
            const std::string& a_v6, const std::string& b_v4, const std::string& b_v6,
            int mtu = 1500) {
    std::string na = id_ + "v" + tag, nb = id_ + "w" + tag;
    ASSERT_EQ(run({"ip", "-n", a.name(), "link", "add", na, "type", "veth", "peer", "name", nb,
                   "netns", b.name()})
                  .status,
              0);
    ip(a, {"addr", "add", a_v4, "dev", na});
    ip(a, {"addr", "add", a_v6, "dev", na, "nodad"});
    ip(a, {"link", "set", na, "mtu", std::to_string(mtu), "up"});
    if (!b_v4.empty()) ip(b, {"addr", "add", b_v4, "dev", nb});
    if (!b_v6.empty()) ip(b, {"addr", "add", b_v6, "dev", nb, "nodad"});
    ip(b, {"link", "set", nb, "mtu", std::to_string(mtu), "up"});
  }

  // wireguard-go -f IF in NS, dying with this test process (PR_SET_PDEATHSIG), configured with
  // `wg set` and given ADDRESSES.
  void start_wireguard_go(const TestNetns& ns, const std::string& name, const Keys& keys,
                          const std::string& wg_set_args,
                          const std::vector<std::string>& addresses) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execlp("ip", "ip", "netns", "exec", ns.name().c_str(), "wireguard-go", "-f",
               name.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    background_.push_back(pid);
    own_link(ns, name);
    ASSERT_TRUE(wait_until([&] { return exists(socket_of(name)); })) << "wireguard-go " << name;
    const std::string key_file = dir_.file(name + ".key");
    testing::write_file(key_file, keys.private_key + "\n");
    Outcome r = in_ns(ns, {"bash", "-c",
                       fmt::format("wg set {} private-key {} {}", name, key_file, wg_set_args)});
    ASSERT_EQ(r.status, 0) << r.err;
    for (const auto& a : addresses) ip(ns, {"addr", "add", a, "dev", name});
    ip(ns, {"link", "set", name, "up"});
  }

  // Writes DIR/IF.conf (mode 0600).
  std::string write_config(const std::string& name, const std::string& text) {
    std::string path = dir_.file(name + ".conf");
    testing::write_file(path, text);
    return path;
  }

  Outcome wgd(const TestNetns& ns, const std::vector<std::string>& args,
          const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {kWgd};
    argv.insert(argv.end(), args.begin(), args.end());
    return in_ns(ns, argv, env);
  }

  Outcome wg_quick_up(const TestNetns& ns, const std::string& path,
                      std::vector<std::string> env = {}) {
    env.push_back("WG_QUICK_USERSPACE_IMPLEMENTATION=" + kWgdTunnel);
    return in_ns(ns, {"wg-quick", "up", path}, env);
  }

  bool has_link(const TestNetns& ns, const std::string& name) {
    return run({"ip", "-n", ns.name(), "link", "show", "dev", name}).status == 0;
  }

  // Nothing of IF left: no link, no socket, no tunnel process, no route or rule through it, no
  // firewall rule for it.
  void expect_nothing_left(const TestNetns& ns, const std::string& name) {
    EXPECT_FALSE(has_link(ns, name)) << name << " still exists";
    EXPECT_TRUE(wait_until([&] { return !exists(socket_of(name)); })) << socket_of(name);
    EXPECT_TRUE(wait_until([&] { return tunnel_pids(name).empty(); })) << "tunnel still runs";
    for (auto family : {"-4", "-6"}) {
      std::string routes = run({"ip", family, "-n", ns.name(), "route", "show", "table", "all"}).out;
      EXPECT_EQ(routes.find(name), std::string::npos) << routes;
      std::string rules = run({"ip", family, "-n", ns.name(), "rule"}).out;
      EXPECT_EQ(rules.find("suppress_prefixlength"), std::string::npos) << rules;
      EXPECT_EQ(rules.find("fwmark"), std::string::npos) << rules;
    }
    const std::string firewall = firewall_state(ns);
    EXPECT_EQ(firewall.find(name), std::string::npos) << firewall;
  }

  bool ping(const TestNetns& ns, const std::string& address) {
    // A few tries: the first packets wait for the handshake.
    for (int i = 0; i < 5; ++i)
      if (in_ns(ns, {"ping", "-c", "1", "-W", "2", address}).status == 0) return true;
    return false;
  }

  void default_route_case(const std::vector<std::string>& env);

  static inline std::string setup_error_;
  TempDir dir_;
  std::string id_;
  std::vector<std::unique_ptr<TestNetns>> namespaces_;
  std::vector<std::pair<const TestNetns*, std::string>> links_;
  std::vector<pid_t> background_;
};

// ---- a peer with an endpoint: ping, and the same state as wg-quick's ----

TEST_F(QuickNetnsTest, UpLikeWgQuickPingsAndDownRemovesEverything) {
  TestNetns& a = make_ns();
  TestNetns& p = make_ns();
  TestNetns& q = make_ns();
  ASSERT_FALSE(HasFailure());
  veth(a, p, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "198.51.100.2/24", "2001:db8:1::2/64",
       1400);
  veth(q, q, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "", "", 1400);
  Keys ka = new_keys(), kp = new_keys(), kz = new_keys();
  const std::string na = ifname('a'), np = ifname('p'), nq = ifname('q');
  start_wireguard_go(p, np, kp,
                     fmt::format("listen-port 51820 peer {} allowed-ips 10.77.0.1/32,fd77::1/128",
                                 ka.public_key),
                     {"10.77.0.2/24", "fd77::2/64"});
  ASSERT_FALSE(HasFailure());

  // Several Address lines, v4 and v6; an allowed IP the address route already covers
  // (10.77.0.0/24), others that need a route; a second peer without endpoint.
  const std::string text = fmt::format(R"(# test config
[Interface]
PrivateKey = {}
Address = 10.77.0.1/24, fd77::1/64
Address = 10.79.0.1/32

[Peer]
PublicKey = {}
Endpoint = 198.51.100.2:51820
AllowedIPs = 10.77.0.0/24, fd77::/64, 10.78.0.0/16

[Peer]
PublicKey = {}
AllowedIPs = 10.80.0.0/16, fd80::/48
)",
                                       ka.private_key, kp.public_key, kz.public_key);
  const std::string path = write_config(na, text);
  own_link(a, na);
  Outcome up = wgd(a, {"up", path});
  ASSERT_EQ(up.status, 0) << up.err;
  EXPECT_EQ(up.err, fmt::format("[#] wgd tunnel {0}\n"
                                "[#] wg setconf {0} <(wgd strip {1})\n"
                                "[#] ip -4 address add 10.77.0.1/24 dev {0}\n"
                                "[#] ip -6 address add fd77::1/64 dev {0}\n"
                                "[#] ip -4 address add 10.79.0.1/32 dev {0}\n"
                                "[#] ip link set mtu 1320 up dev {0}\n"
                                "[#] ip -6 route add fd80::/48 dev {0}\n"
                                "[#] ip -4 route add 10.80.0.0/16 dev {0}\n"
                                "[#] ip -4 route add 10.78.0.0/16 dev {0}\n",
                                na, path));
  EXPECT_EQ(tunnel_pids(na).size(), 1u);

  // The real wg-quick, same file under Q's interface name.
  own_link(q, nq);
  Outcome wq = wg_quick_up(q, write_config(nq, text));
  ASSERT_EQ(wq.status, 0) << wq.err;
  EXPECT_EQ(ip_json(a, {"address", "show", "dev", na}),
            ip_json(q, {"address", "show", "dev", nq}, nq, na));
  EXPECT_EQ(ip_json(a, {"link", "show", "dev", na}),
            ip_json(q, {"link", "show", "dev", nq}, nq, na));
  for (auto family : {"-4", "-6"}) {
    EXPECT_EQ(ip_json(a, {family, "route", "show", "table", "all", "dev", na}),
              ip_json(q, {family, "route", "show", "table", "all", "dev", nq}, nq, na))
        << family;
    EXPECT_EQ(ip_json(a, {family, "rule"}), ip_json(q, {family, "rule"})) << family;
  }

  EXPECT_TRUE(ping(a, "10.77.0.2"));
  EXPECT_TRUE(ping(a, "fd77::2"));
  Outcome show = wgd(a, {"show", na, "latest-handshakes"});
  EXPECT_EQ(show.status, 0);
  EXPECT_NE(show.out.find(kp.public_key + "\t1"), std::string::npos) << show.out;

  Outcome down = wgd(a, {"down", path});
  ASSERT_EQ(down.status, 0) << down.err;
  EXPECT_EQ(down.err, fmt::format("[#] ip link delete dev {}\n", na));
  expect_nothing_left(a, na);
  EXPECT_EQ(ip_json(a, {"-4", "route"}).size(), 1u);  // only the veth's own subnet

  // Down again: the interface is not up.
  Outcome again = wgd(a, {"down", path});
  EXPECT_EQ(again.status, 1);
  EXPECT_EQ(again.err, fmt::format("wgd down: `{}' is not a WireGuard interface\n", na));
}

// ---- a default route (AllowedIPs = 0.0.0.0/0, ::/0) ----

// With `env` (PATH) deciding between nft and iptables-restore for both wgd and wg-quick.
void QuickNetnsTest::default_route_case(const std::vector<std::string>& env) {
  TestNetns& c = make_ns();
  TestNetns& s = make_ns();
  TestNetns& q = make_ns();
  ASSERT_FALSE(HasFailure());
  veth(c, s, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "198.51.100.2/24", "2001:db8:1::2/64");
  veth(q, q, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "", "");
  for (TestNetns* ns : {&c, &q}) {
    ip(*ns, {"route", "add", "default", "via", "198.51.100.2"});
    ip(*ns, {"-6", "route", "add", "default", "via", "2001:db8:1::2"});
  }
  // "Outside" addresses: on the server's loopback, reachable by C through the veth as well.
  ip(s, {"addr", "add", "203.0.113.1/32", "dev", "lo"});
  ip(s, {"addr", "add", "2001:db8:ff::1/128", "dev", "lo"});
  Keys kc = new_keys(), ks = new_keys();
  const std::string nc = ifname('a'), ns_ = ifname('s'), nq = ifname('q');
  start_wireguard_go(s, ns_, ks,
                     fmt::format("listen-port 51820 peer {} allowed-ips 10.9.0.2/32,fd09::2/128",
                                 kc.public_key),
                     {"10.9.0.1/24", "fd09::1/64"});
  ASSERT_FALSE(HasFailure());
  const std::string text = fmt::format(
      "[Interface]\nPrivateKey = {}\nAddress = 10.9.0.2/32\nAddress = fd09::2/128\n\n[Peer]\n"
      "PublicKey = {}\nEndpoint = 198.51.100.2:51820\nAllowedIPs = 0.0.0.0/0, ::/0\n",
      kc.private_key, ks.public_key);
  const json rules_before_v4 = ip_json(c, {"-4", "rule"}), rules_before_v6 = ip_json(c, {"-6", "rule"});
  const json main_before = ip_json(c, {"-4", "route"});

  const std::string path = write_config(nc, text);
  const bool uses_nft = env.empty() && find_in_path("nft").has_value();
  own_link(c, nc);
  Outcome up = wgd(c, {"up", path}, env);
  ASSERT_EQ(up.status, 0) << up.err;
  EXPECT_NE(up.err.find(fmt::format("[#] wg set {} fwmark 51820\n", nc)), std::string::npos)
      << up.err;
  EXPECT_NE(up.err.find("[#] ip -4 rule add not fwmark 51820 table 51820\n"
                        "[#] ip -4 rule add table main suppress_prefixlength 0\n"
                        "[#] ip -4 route add 0.0.0.0/0 dev " + nc + " table 51820\n"),
            std::string::npos)
      << up.err;
  own_link(q, nq);
  Outcome wq = wg_quick_up(q, write_config(nq, text), env);
  ASSERT_EQ(wq.status, 0) << wq.err;

  for (auto family : {"-4", "-6"}) {
    EXPECT_EQ(ip_json(c, {family, "rule"}), ip_json(q, {family, "rule"})) << family;
    EXPECT_EQ(ip_json(c, {family, "route", "show", "table", "all", "dev", nc}),
              ip_json(q, {family, "route", "show", "table", "all", "dev", nq}, nq, nc))
        << family;
  }
  EXPECT_EQ(run({kWgd, "show", nc, "fwmark"}).out, "0xca6c\n");
  EXPECT_EQ(run({"wg", "show", nq, "fwmark"}).out, "0xca6c\n");
  const std::string firewall = firewall_state(c);
  EXPECT_EQ(firewall, firewall_state(q, nq, nc));
  EXPECT_NE(firewall.find(uses_nft ? "table ip wg-quick-" + nc : "wg-quick(8) rule for " + nc),
            std::string::npos)
      << firewall;
  EXPECT_NE(up.err.find(uses_nft ? "[#] nft -f /dev/stdin\n" : "[#] iptables-restore -n\n"),
            std::string::npos)
      << up.err;
  EXPECT_EQ(in_ns(c, {"cat", "/proc/sys/net/ipv4/conf/all/src_valid_mark"}).out, "1\n");

  // The outside addresses are now reached through the tunnel.
  auto received = [&] {
    std::string t = run({"wg", "show", ns_, "transfer"}).out;
    auto tab = t.find('\t');
    return tab == std::string::npos ? 0ull : std::stoull(t.substr(tab + 1));
  };
  EXPECT_NE(in_ns(c, {"ip", "route", "get", "203.0.113.1"}).out.find("dev " + nc + " table 51820"),
            std::string::npos);
  EXPECT_TRUE(ping(c, "203.0.113.1"));
  const auto after_v4 = received();
  EXPECT_GT(after_v4, 0u);
  EXPECT_TRUE(ping(c, "2001:db8:ff::1"));
  EXPECT_GT(received(), after_v4);

  Outcome down = wgd(c, {"down", path}, env);
  ASSERT_EQ(down.status, 0) << down.err;
  expect_nothing_left(c, nc);
  EXPECT_EQ(ip_json(c, {"-4", "rule"}), rules_before_v4);
  EXPECT_EQ(ip_json(c, {"-6", "rule"}), rules_before_v6);
  EXPECT_EQ(ip_json(c, {"-4", "route"}), main_before);
  EXPECT_NE(in_ns(c, {"ip", "route", "get", "203.0.113.1"}).out.find("via 198.51.100.2"),
            std::string::npos);
  const auto before_plain = received();
  EXPECT_TRUE(ping(c, "203.0.113.1"));
  EXPECT_EQ(received(), before_plain);  // now outside the tunnel
}

TEST_F(QuickNetnsTest, DefaultRouteLikeWgQuickWithIptables) {
  default_route_case({path_without_nft(dir_)});
}

TEST_F(QuickNetnsTest, DefaultRouteLikeWgQuickWithNftWhenInstalled) {
  if (!find_in_path("nft")) GTEST_SKIP() << "nft is not installed: the iptables case covers this";
  default_route_case({});
}

// ---- a peer without endpoint, IPv6 only ----

TEST_F(QuickNetnsTest, Ipv6OnlyAndAPeerWithoutEndpointThatCallsIn) {
  TestNetns& a = make_ns();
  TestNetns& p = make_ns();
  TestNetns& q = make_ns();
  ASSERT_FALSE(HasFailure());
  veth(a, p, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "198.51.100.2/24", "2001:db8:1::2/64");
  veth(q, q, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "", "");
  Keys ka = new_keys(), kp = new_keys();
  const std::string na = ifname('a'), np = ifname('p'), nq = ifname('q');
  // Only P knows where A is: A waits for P.
  start_wireguard_go(p, np, kp,
                     fmt::format("peer {} endpoint [2001:db8:1::1]:51830 allowed-ips fd77::1/128 "
                                 "persistent-keepalive 1",
                                 ka.public_key),
                     {"fd77::2/64"});
  ASSERT_FALSE(HasFailure());
  const std::string text = fmt::format(
      "[Interface]\nPrivateKey = {}\nListenPort = 51830\nAddress = fd77::1/64\n"
      "Address = fd78::1/128\n\n[Peer]\nPublicKey = {}\nAllowedIPs = fd77::/64, fd79::/64\n",
      ka.private_key, kp.public_key);
  const std::string path = write_config(na, text);
  own_link(a, na);
  Outcome up = wgd(a, {"up", path});
  ASSERT_EQ(up.status, 0) << up.err;
  // No endpoint and no default route: 1500 - 80.
  EXPECT_NE(up.err.find("[#] ip link set mtu 1420 up dev " + na), std::string::npos) << up.err;
  own_link(q, nq);
  ASSERT_EQ(wg_quick_up(q, write_config(nq, text)).status, 0);
  EXPECT_EQ(ip_json(a, {"address", "show", "dev", na}),
            ip_json(q, {"address", "show", "dev", nq}, nq, na));
  EXPECT_EQ(ip_json(a, {"-6", "route", "show", "table", "all", "dev", na}),
            ip_json(q, {"-6", "route", "show", "table", "all", "dev", nq}, nq, na));
  EXPECT_EQ(ip_json(a, {"-4", "route", "show", "table", "all", "dev", na}), json::array());

  EXPECT_TRUE(ping(p, "fd77::1"));
  EXPECT_TRUE(ping(a, "fd77::2"));
  EXPECT_EQ(run({kWgd, "show", na, "endpoints"}).out,
            kp.public_key + "\t[2001:db8:1::2]:" +
                run({"wg", "show", np, "listen-port"}).out);

  ASSERT_EQ(wgd(a, {"down", path}).status, 0);
  expect_nothing_left(a, na);
}

// ---- Table = N ----

TEST_F(QuickNetnsTest, NumberedTableTakesEveryRouteWithoutRulesLikeWgQuick) {
  TestNetns& a = make_ns();
  TestNetns& q = make_ns();
  ASSERT_FALSE(HasFailure());
  veth(a, a, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "", "");
  veth(q, q, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "", "");
  Keys k = new_keys(), peer = new_keys();
  const std::string na = ifname('a'), nq = ifname('q');
  const std::string text = fmt::format(
      "[Interface]\nPrivateKey = {}\nAddress = 10.66.0.1/24\nTable = 1234\n\n[Peer]\n"
      "PublicKey = {}\nEndpoint = 198.51.100.2:51820\n"
      "AllowedIPs = 0.0.0.0/0, 10.66.0.0/24, ::/0, fd66::/64\n",
      k.private_key, peer.public_key);
  const std::string path = write_config(na, text);
  own_link(a, na);
  Outcome up = wgd(a, {"up", path});
  ASSERT_EQ(up.status, 0) << up.err;
  EXPECT_NE(up.err.find("[#] ip -4 route add 10.66.0.0/24 dev " + na + " table 1234\n"),
            std::string::npos)
      << up.err;
  EXPECT_EQ(up.err.find("rule"), std::string::npos) << up.err;
  own_link(q, nq);
  ASSERT_EQ(wg_quick_up(q, write_config(nq, text)).status, 0);
  for (auto family : {"-4", "-6"}) {
    EXPECT_EQ(ip_json(a, {family, "route", "show", "table", "all", "dev", na}),
              ip_json(q, {family, "route", "show", "table", "all", "dev", nq}, nq, na))
        << family;
    EXPECT_EQ(ip_json(a, {family, "rule"}), ip_json(q, {family, "rule"})) << family;
  }
  EXPECT_EQ(ip_json(a, {"-4", "route", "show", "table", "1234"}).size(), 2u);
  EXPECT_EQ(run({kWgd, "show", na, "fwmark"}).out, "off\n");
  ASSERT_EQ(wgd(a, {"down", path}).status, 0);
  expect_nothing_left(a, na);
}

// ---- nothing is half brought up ----

TEST_F(QuickNetnsTest, MalformedFilesCreateNothing) {
  TestNetns& a = make_ns();
  ASSERT_FALSE(HasFailure());
  const std::string na = ifname('a');
  own_link(a, na);
  Keys k = new_keys(), peer = new_keys();
  struct Case {
    std::string text;
    std::string error;  // what the message must contain
  };
  const std::vector<Case> cases = {
      {fmt::format("[Interface]\nPrivateKey = {}\nAddress = 10.0.0.1/24\n\n[Peer]\nPublicKey = "
                   "{}\nAllowedIPs = 10.0.0.0/33\n",
                   k.private_key, peer.public_key),
       ":7: AllowedIPs: "},
      {fmt::format("[Interface]\nPrivateKey = {}\nAddres = 10.0.0.1/24\n", k.private_key),
       ":3: "},
      {fmt::format("[Interface]\nPrivateKey = {}\nTable = nosuchtable\n", k.private_key),
       "Table = nosuchtable: no routing table of that name"},
      {fmt::format("[Interface]\nPrivateKey = {}\nDNS = 192.0.2.53\n", k.private_key),
       "install the openresolv or resolvconf package"},
      {fmt::format("[Interface]\nPrivateKey = {}\n\n[Peer]\nPublicKey = {}\nEndpoint = "
                   "nonexistent.invalid:51820\nAllowedIPs = 10.0.0.0/24\n",
                   k.private_key, peer.public_key),
       "Endpoint: "},
  };
  const std::string path = dir_.file(na + ".conf");
  for (const auto& c : cases) {
    testing::write_file(path, c.text);
    // PATH without any resolvconf/resolvectl, whatever the machine has.
    Outcome up = wgd(a, {"up", path}, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                   "WG_ENDPOINT_RESOLUTION_RETRIES=0"});
    EXPECT_EQ(up.status, 1) << c.text;
    EXPECT_TRUE(up.err.starts_with("wgd up: " + path)) << up.err;
    EXPECT_NE(up.err.find(c.error), std::string::npos) << up.err;
    EXPECT_EQ(up.err.find("[#]"), std::string::npos) << "something was done: " << up.err;
    EXPECT_FALSE(has_link(a, na));
    EXPECT_FALSE(exists(socket_of(na)));
  }
  // The interface already exists: refused, and left alone.
  ip(a, {"link", "add", na, "type", "veth", "peer", "name", id_ + "z"});
  testing::write_file(path, fmt::format("[Interface]\nPrivateKey = {}\n", k.private_key));
  Outcome exists_already = wgd(a, {"up", path});
  EXPECT_EQ(exists_already.status, 1);
  EXPECT_EQ(exists_already.err, fmt::format("wgd up: `{}' already exists\n", na));
  EXPECT_TRUE(has_link(a, na));
}

TEST_F(QuickNetnsTest, FailuresAfterCreationLeaveNothingBehind) {
  TestNetns& a = make_ns();
  ASSERT_FALSE(HasFailure());
  veth(a, a, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "", "");
  ip(a, {"route", "add", "default", "via", "198.51.100.2"});
  const std::string na = ifname('a');
  own_link(a, na);
  Keys k = new_keys(), peer = new_keys();
  const std::string path = dir_.file(na + ".conf");
  const std::string marker = dir_.file("postdown-ran");
  TempDir bin;
  const std::string record = bin.file("resolvconf.log");
  testing::write_script(bin.file("resolvconf"), "echo \"$*\" >> " + record + "\ncat > /dev/null\n");
  const std::string path_env = "PATH=" + bin.path() + ":/usr/sbin:/usr/bin:/sbin:/bin";
  const json rules_before = ip_json(a, {"-4", "rule"});

  struct Case {
    std::string interface_extra;
    std::string allowed_ips;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"PostUp = exit 1\n", "10.0.0.0/24", "PostUp hook 1 of 1 exited with status 1"},
      {"PreUp = true\nPreUp = kill -9 $$\n", "10.0.0.0/24", "PreUp hook 2 of 2 was killed by signal 9"},
      // Ctrl-C (here from a hook: its parent is wgd) in the middle of up.
      {"Address = 10.0.0.1/24\nPostUp = kill -INT $PPID\n", "10.0.0.0/24", "interrupted by signal 2"},
      // The kernel refuses the second, identical address.
      {"Address = 10.0.0.1/24, 10.0.0.1/24\n", "10.0.0.0/24", "File exists"},
      {"Address = ff02::1234/128\n", "10.0.0.0/24", "address"},
      // After DNS, the default route's rules, sysctl and firewall rules: all undone.
      {"Address = 10.0.0.1/24, fd00::1/64\nDNS = 192.0.2.53\nPostUp = false\n"
       "PostDown = touch " + marker + "\n",
       "0.0.0.0/0, ::/0", "PostUp hook 1 of 1 exited with status 1"},
  };
  for (const auto& c : cases) {
    ::unlink(record.c_str());
    testing::write_file(path, fmt::format("[Interface]\nPrivateKey = {}\n{}\n[Peer]\nPublicKey = {}\n"
                                          "Endpoint = 198.51.100.2:51820\nAllowedIPs = {}\n",
                                          k.private_key, c.interface_extra, peer.public_key,
                                          c.allowed_ips));
    Outcome up = wgd(a, {"up", path}, {path_env});
    EXPECT_EQ(up.status, 1) << up.err;
    EXPECT_NE(up.err.find("[#] wgd tunnel " + na), std::string::npos) << up.err;
    EXPECT_NE(up.err.find("[#] ip link delete dev " + na), std::string::npos) << up.err;
    // The original error is the one reported, last.
    auto last = up.err.rfind("wgd up: ");
    ASSERT_NE(last, std::string::npos) << up.err;
    EXPECT_NE(up.err.find(c.error, last), std::string::npos) << up.err;
    expect_nothing_left(a, na);
    EXPECT_EQ(ip_json(a, {"-4", "rule"}), rules_before);
    if (c.interface_extra.find("DNS") != std::string::npos) {
      EXPECT_EQ(testing::read_file(record), fmt::format("-a {0} -m 0 -x\n-d {0} -f\n", na));
      EXPECT_NE(up.err.find("[#] ip -4 rule delete table 51820"), std::string::npos) << up.err;
      EXPECT_FALSE(exists(marker)) << "PostDown hooks are not part of a failed up";
    }
  }
}

// ---- hooks, DNS, SaveConfig ----

TEST_F(QuickNetnsTest, HooksDnsAndSaveConfigRoundTrip) {
  TestNetns& a = make_ns();
  ASSERT_FALSE(HasFailure());
  veth(a, a, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "", "", 1400);
  const std::string na = ifname('a');
  own_link(a, na);
  Keys k = new_keys(), peer = new_keys(), added = new_keys();
  TempDir bin;
  const std::string record = bin.file("resolvconf.log");
  const std::string hooks = dir_.file("hooks.log");
  // A resolvconf that records its arguments and input and answers -l with what it was given.
  testing::write_script(bin.file("resolvconf"),
                        "echo \"$*\" >> " + record + "\n"
                        "case \"$1\" in\n"
                        "  -a) cat > " + bin.file("state") + "; cat " + bin.file("state") +
                            " >> " + record + ";;\n"
                        "  -l) cat " + bin.file("state") + ";;\n"
                        "esac\n");
  const std::string path_env = "PATH=" + bin.path() + ":/usr/sbin:/usr/bin:/sbin:/bin";
  const std::string text = fmt::format(
      "[Interface]\nPrivateKey = {0}\nListenPort = 51840\nAddress = 10.77.0.1/24\n"
      "DNS = 192.0.2.53, 2001:db8::53\nMTU = 1380\nSaveConfig = true\n"
      "PreUp = echo preup %i >> {1}\nPostUp = echo postup1 %i >> {1}\n"
      "PostUp = echo postup2 >> {1}\n"
      "PreDown = echo predown %i >> {1}\nPostDown = echo postdown %i >> {1}\n\n"
      "[Peer]\nPublicKey = {2}\nEndpoint = 198.51.100.2:51820\nAllowedIPs = 10.77.0.0/24\n",
      k.private_key, hooks, peer.public_key);
  const std::string path = write_config(na, text);
  Outcome up = wgd(a, {"up", path}, {path_env});
  ASSERT_EQ(up.status, 0) << up.err;
  EXPECT_EQ(testing::read_file(hooks), fmt::format("preup {0}\npostup1 {0}\npostup2\n", na));
  EXPECT_EQ(testing::read_file(record),
            fmt::format("-a {} -m 0 -x\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n", na));
  EXPECT_NE(up.err.find("[#] resolvconf -a " + na + " -m 0 -x\n"), std::string::npos);
  EXPECT_NE(up.err.find("[#] ip link set mtu 1380 up dev " + na), std::string::npos);

  // Change the running state, then compare our save with wg-quick's own `save` of a copy.
  ASSERT_EQ(run({"wg", "set", na, "peer", added.public_key, "allowed-ips", "10.77.5.0/24"}).status,
            0);
  ip(a, {"addr", "add", "10.77.9.9/32", "dev", na});
  TempDir other;
  ::chmod(other.path().c_str(), 0700);
  const std::string copy = other.file(na + ".conf");
  testing::write_file(copy, text);
  Outcome save = in_ns(a, {"wg-quick", "save", copy}, {path_env});
  ASSERT_EQ(save.status, 0) << save.err;

  Outcome down = wgd(a, {"down", path}, {path_env});
  ASSERT_EQ(down.status, 0) << down.err;
  EXPECT_EQ(testing::read_file(hooks),
            fmt::format("preup {0}\npostup1 {0}\npostup2\npredown {0}\npostdown {0}\n", na));
  EXPECT_NE(testing::read_file(record).find(fmt::format("-l {0}\n-d {0} -f\n", na)),
            std::string::npos)
      << testing::read_file(record);
  expect_nothing_left(a, na);
  const std::string saved = testing::read_file(path);
  EXPECT_EQ(saved, testing::read_file(copy));
  EXPECT_NE(saved.find("Address = 10.77.9.9/32\n"), std::string::npos) << saved;
  EXPECT_NE(saved.find("PublicKey = " + added.public_key), std::string::npos) << saved;
  EXPECT_NE(saved.find("MTU = 1380\n"), std::string::npos) << saved;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The saved file brings the same interface back.
  Outcome again = wgd(a, {"up", path}, {path_env});
  ASSERT_EQ(again.status, 0) << again.err;
  Outcome conf = run({kWgd, "showconf", na});
  std::string device_part = conf.out.substr(std::string("[Interface]\n").size());
  while (!device_part.empty() && device_part.back() == '\n') device_part.pop_back();
  EXPECT_NE(saved.find(device_part), std::string::npos)
      << conf.out << "\n--- saved:\n" << saved;
  EXPECT_NE(run({"ip", "-n", a.name(), "addr", "show", "dev", na}).out.find("10.77.9.9/32"),
            std::string::npos);
  ASSERT_EQ(wgd(a, {"down", path}, {path_env}).status, 0);
  expect_nothing_left(a, na);
}

// ---- wgd show == wg show ----

// `wg show all endpoints` as current wireguard-tools prints it: Debian 12's 1.0.20210914 prints
// the "IF\t" prefix once per interface instead of once per line, a bug fixed upstream since (see
// uapi/wg_show.cc). Built from `wg show IF endpoints` of each interface, in `wg`'s order.
Outcome all_endpoints_as_fixed_upstream(const std::vector<std::string>& env) {
  Outcome names = run({"wg", "show", "interfaces"}, env);
  Outcome out{names.status, "", names.err};
  std::istringstream words(names.out);
  std::string name;
  while (words >> name) {
    std::istringstream lines(run({"wg", "show", name, "endpoints"}, env).out);
    std::string line;
    while (std::getline(lines, line)) out.out += name + "\t" + line + "\n";
  }
  return out;
}

TEST_F(QuickNetnsTest, ShowIsWgShowForEveryForm) {
  // Before anything runs: no interface at all.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"show"}, {"show", "all"}, {"show", "interfaces"}, {"show", "all", "dump"}}) {
    std::vector<std::string> ours = {kWgd}, theirs = {"wg"};
    ours.insert(ours.end(), args.begin(), args.end());
    theirs.insert(theirs.end(), args.begin(), args.end());
    Outcome o = run(ours), t = run(theirs);
    EXPECT_EQ(o.status, t.status) << args.back();
    EXPECT_EQ(o.out, t.out) << args.back();
  }

  TestNetns& a = make_ns();
  TestNetns& p = make_ns();
  ASSERT_FALSE(HasFailure());
  veth(a, p, 'x', "198.51.100.1/24", "2001:db8:1::1/64", "198.51.100.2/24", "2001:db8:1::2/64");
  Keys ka = new_keys(), kp = new_keys(), k3 = new_keys();
  const std::string na = ifname('a'), np = ifname('p'), nb = ifname('b');
  const std::string psk = crypto::key_to_base64(crypto::x25519_generate().span());
  const std::string psk_file = dir_.file("psk");
  testing::write_file(psk_file, psk + "\n");
  start_wireguard_go(p, np, kp,
                     fmt::format("listen-port 51820 fwmark 0x1234 peer {} preshared-key {} "
                                 "allowed-ips 10.77.0.1/32",
                                 ka.public_key, psk_file),
                     {"10.77.0.2/24"});
  ASSERT_FALSE(HasFailure());
  // A: keys, a preshared key, keepalive, several allowed IPs, a peer without endpoint.
  const std::string path = write_config(
      na, fmt::format("[Interface]\nPrivateKey = {}\nListenPort = 51841\nFwMark = 0x99\n"
                      "Address = 10.77.0.1/24\nTable = off\n\n"
                      "[Peer]\nPublicKey = {}\nPresharedKey = {}\nEndpoint = 198.51.100.2:51820\n"
                      "AllowedIPs = 10.77.0.2/32, fd77::/64\nPersistentKeepalive = 25\n\n"
                      "[Peer]\nPublicKey = {}\nAllowedIPs = 10.88.0.0/16\n",
                      ka.private_key, kp.public_key, psk, k3.public_key));
  own_link(a, na);
  ASSERT_EQ(wgd(a, {"up", path}).status, 0);
  // B: an interface with nothing configured, run by wgd tunnel directly.
  own_link(a, nb);
  ASSERT_EQ(in_ns(a, {kWgd, "tunnel", nb}).status, 0);
  ASSERT_TRUE(ping(a, "10.77.0.2"));

  const std::vector<std::string> fields = {
      "public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys",
      "endpoints", "allowed-ips", "latest-handshakes", "transfer", "persistent-keepalive", "dump"};
  std::vector<std::vector<std::string>> forms = {{"show"}, {"show", "all"}, {"show", "interfaces"},
                                                 {"show", na}, {"show", nb}, {"show", np},
                                                 {"showconf", na}, {"showconf", nb},
                                                 {"show", "nosuch"}, {"show", na, "bogus"},
                                                 {"show", "all", "bogus"}, {"showconf", "nosuch"},
                                                 {"show", "interfaces", "x"}, {"show", "-h"},
                                                 {"show", "a", "b", "c"}, {"showconf"}};
  for (const auto& f : fields) {
    forms.push_back({"show", "all", f});
    forms.push_back({"show", na, f});
  }
  // Environment variants wg reads: colours forced, keys shown.
  const std::vector<std::vector<std::string>> envs = {
      {}, {"WG_COLOR_MODE=always"}, {"WG_HIDE_KEYS=never"}};
  for (const auto& env : envs) {
    for (const auto& args : forms) {
      std::vector<std::string> ours = {kWgd}, theirs = {"wg"};
      ours.insert(ours.end(), args.begin(), args.end());
      theirs.insert(theirs.end(), args.begin(), args.end());
      std::string label = fmt::format("{} {}", fmt::join(env, " "), fmt::join(args, " "));
      // "N seconds ago" may tick between the two runs: a few tries.
      Outcome o, t;
      for (int attempt = 0; attempt < 5; ++attempt) {
        t = args == std::vector<std::string>{"show", "all", "endpoints"}
                ? all_endpoints_as_fixed_upstream(env)
                : run(theirs, env);
        o = run(ours, env);
        if (o.out == t.out) break;
      }
      EXPECT_EQ(o.status, t.status) << label;
      EXPECT_EQ(o.out, t.out) << label;
      // The usage lines name the program (wg / wgd); everything else is the same.
      EXPECT_EQ(replace_all(o.err, "Usage: wgd ", "Usage: wg "), t.err) << label;
    }
  }
  ASSERT_EQ(wgd(a, {"down", path}).status, 0);
}

}  // namespace
}  // namespace wgd::quick
