#include "uapi/uapi_test_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "crypto/key_codec.h"

extern char** environ;

namespace wgd::uapi::testing {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

std::vector<char*> c_argv(const std::vector<std::string>& args) {
  std::vector<char*> v;
  for (const auto& a : args) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

int decode_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string key_text(std::span<const std::uint8_t, 32> k) { return crypto::key_to_hex(k); }

}  // namespace

TempDir::TempDir() {
  char tmpl[] = "/tmp/wgdu-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout) {
  CommandResult result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return result;
  }
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  pid_t pid = -1;
  auto args = c_argv(argv);
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  out_w.reset();
  err_w.reset();
  if (rc != 0) {
    result.err = fmt::format("cannot start {}: {}", argv[0], std::strerror(rc));
    return result;
  }

  auto deadline = Clock::now() + timeout;
  bool killed = false;
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_streams = 2;
  while (open_streams > 0) {
    int n = ::poll(fds, 2, remaining_ms(deadline));
    if (n == 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(r));
      } else {
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_status = decode_wait_status(status);
  if (killed) result.err += "\n(killed after the timeout)";
  return result;
}

Result<BackgroundProcess> BackgroundProcess::start(const std::vector<std::string>& argv,
                                                   const std::vector<std::string>& extra_env,
                                                   const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  auto args = c_argv(argv);
  auto envp = c_argv(env);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return failf("cannot start {}: {}", argv[0], std::strerror(rc));
  return BackgroundProcess(pid);
}

BackgroundProcess::BackgroundProcess(BackgroundProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)) {}

bool BackgroundProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(3);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<NetnsGuard> NetnsGuard::create(const std::string& prefix) {
  // Leftovers from a test process that was killed before its destructors ran.
  if (DIR* dir = ::opendir("/run/netns")) {
    while (dirent* ent = ::readdir(dir)) {
      std::string_view name = ent->d_name;
      if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
      std::string_view digits = name.substr(prefix.size());
      if (!std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
      pid_t owner = static_cast<pid_t>(std::stol(std::string(digits)));
      if (owner == ::getpid() || (::kill(owner, 0) != 0 && errno == ESRCH))
        run_command({"ip", "netns", "del", std::string(name)});
    }
    ::closedir(dir);
  }
  std::string name = prefix + std::to_string(::getpid());
  auto added = run_command({"ip", "netns", "add", name});
  if (added.exit_status != 0) return failf("ip netns add {}: {}", name, added.err);
  NetnsGuard guard(name);
  auto lo = run_command({"ip", "-n", name, "link", "set", "lo", "up"});
  if (lo.exit_status != 0) return failf("ip -n {} link set lo up: {}", name, lo.err);
  return guard;
}

NetnsGuard::~NetnsGuard() {
  if (!name_.empty()) run_command({"ip", "netns", "del", name_});
}

Result<UniqueFd> NetnsGuard::bind_udp(const std::string& address, std::uint16_t* port) const {
  Result<UniqueFd> result = fail("not run");
  // A socket belongs to the namespace of the thread that creates it, so create it on a thread
  // that entered the namespace; the test's own thread stays where it is.
  std::thread([&] {
    UniqueFd ns(::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) {
      result = failf("setns {}: {}", name_, std::strerror(errno));
      return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
      result = failf("bad address {}", address);
      return;
    }
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    socklen_t len = sizeof addr;
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      result = failf("udp bind in {}: {}", name_, std::strerror(errno));
      return;
    }
    *port = ntohs(addr.sin_port);
    result = std::move(fd);
  }).join();
  return result;
}

Result<RawConnection> RawConnection::open(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return failf("connect {}: {}", path, std::strerror(errno));
  return RawConnection(std::move(fd));
}

Result<void> RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) return failf("send: {}", std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string RawConnection::read_reply(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto end = pending_.find("\n\n"); end != std::string::npos) {
      std::string reply = pending_.substr(0, end + 2);
      pending_.erase(0, end + 2);
      return reply;
    }
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    pending_.append(buf, static_cast<std::size_t>(n));
  }
  return std::exchange(pending_, {});
}

bool RawConnection::closed_by_server(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    char buf[4096];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

std::string describe(const wg::DeviceChange& c) {
  std::string s;
  s += fmt::format("private_key={}\n", c.private_key ? key_text(c.private_key->span()) : "unset");
  s += fmt::format("listen_port={}\n", c.listen_port ? std::to_string(*c.listen_port) : "unset");
  s += fmt::format("fwmark={}\n", c.fwmark ? std::to_string(*c.fwmark) : "unset");
  s += fmt::format("replace_peers={}\n", c.replace_peers);
  for (const auto& p : c.peers) {
    s += fmt::format("peer {} remove={} update_only={} psk={} endpoint={} keepalive={} "
                     "replace_allowed_ips={} allowed=",
                     key_text(p.public_key), p.remove, p.update_only,
                     p.preshared_key ? key_text(p.preshared_key->span()) : "unset",
                     p.endpoint ? p.endpoint->to_string() : "unset",
                     p.persistent_keepalive ? std::to_string(*p.persistent_keepalive) : "unset",
                     p.replace_allowed_ips);
    for (const auto& a : p.allowed_ips) s += a.to_string() + ",";
    s += "\n";
  }
  return s;
}

std::string describe(const wg::DeviceStatus& st, bool sorted) {
  std::string s;
  s += fmt::format("private_key={}\n", st.private_key ? key_text(st.private_key->span()) : "none");
  s += fmt::format("public_key={}\n", st.public_key ? key_text(*st.public_key) : "none");
  s += fmt::format("listen_port={}\nfwmark={}\n", st.listen_port, st.fwmark);
  std::vector<std::string> peers;
  for (const auto& p : st.peers) {
    std::string line = fmt::format(
        "peer {} psk={} endpoint={} keepalive={} handshake={}.{} rx={} tx={} version={} allowed=",
        key_text(p.public_key), p.preshared_key ? key_text(p.preshared_key->span()) : "none",
        p.endpoint ? p.endpoint->to_string() : "none", p.persistent_keepalive,
        p.last_handshake_sec, p.last_handshake_nsec, p.rx_bytes, p.tx_bytes, p.protocol_version);
    std::vector<std::string> ips;
    for (const auto& a : p.allowed_ips) ips.push_back(a.to_string());
    if (sorted) std::sort(ips.begin(), ips.end());
    for (const auto& ip : ips) line += ip + ",";
    peers.push_back(line + "\n");
  }
  if (sorted) std::sort(peers.begin(), peers.end());
  for (const auto& p : peers) s += p;
  return s;
}

std::string write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

}  // namespace wgd::uapi::testing
