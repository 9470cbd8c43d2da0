#include "net/netns_test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

extern char** environ;

namespace wgd::testing {
namespace {

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

// Reads both pipes to EOF together, so a child filling one while we wait on the other cannot
// deadlock.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // poll ignores negative fds
        --open_count;
      }
    }
  }
}

// "<prefix>-<pid>-<n>" -> pid, if `name` has that shape.
std::optional<pid_t> owner_pid(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() + 1 || name.substr(0, prefix.size()) != prefix ||
      name[prefix.size()] != '-')
    return std::nullopt;
  std::string_view rest = name.substr(prefix.size() + 1);
  auto dash = rest.find('-');
  if (dash == std::string_view::npos || dash + 1 == rest.size()) return std::nullopt;
  for (char c : rest.substr(dash + 1))
    if (c < '0' || c > '9') return std::nullopt;
  pid_t pid = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + dash, pid);
  if (ec != std::errc() || p != rest.data() + dash || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace

Result<CommandResult> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail("run_command: empty command", EINVAL);
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) < 0) return failf("{}: pipe: {}", argv[0], std::strerror(errno));
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) < 0) return failf("{}: pipe: {}", argv[0], std::strerror(errno));
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return failf("{}: cannot start: {}", argv[0], std::strerror(rc));
  out_w.reset();  // our copies of the write ends must close for the reads to see EOF
  err_w.reset();

  CommandResult result;
  drain(out_r.get(), err_r.get(), result.out, result.err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return failf("{}: waitpid: {}", argv[0], std::strerror(errno));
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result<std::string> run_checked(const std::vector<std::string>& argv) {
  auto r = run_command(argv);
  if (!r) return std::unexpected(r.error());
  if (r->exit_status != 0)
    return failf("`{}` exited with status {}: {}", join(argv), r->exit_status, r->err);
  return std::move(r->out);
}

NetnsEntry::~NetnsEntry() {
  // If this fails the thread is stuck in a namespace that is about to vanish; nothing sensible
  // is left to do in a destructor but say so loudly.
  if (previous_ && ::setns(previous_.get(), CLONE_NEWNET) < 0)
    std::fprintf(stderr, "NetnsEntry: cannot return to the previous namespace: %s\n",
                 std::strerror(errno));
}

void remove_stale_namespaces(std::string_view prefix) {
  DIR* dir = ::opendir("/run/netns");
  if (!dir) return;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(dir)) {
    auto pid = owner_pid(e->d_name, prefix);
    if (pid && ::kill(*pid, 0) < 0 && errno == ESRCH) stale.emplace_back(e->d_name);
  }
  ::closedir(dir);
  for (const auto& name : stale) (void)run_command({"ip", "netns", "del", name});
}

Result<TestNetns> TestNetns::create(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  remove_stale_namespaces(prefix);
  std::string name = fmt::format("{}-{}-{}", prefix, ::getpid(), counter++);
  if (auto r = run_checked({"ip", "netns", "add", name}); !r) return std::unexpected(r.error());
  TestNetns ns(std::move(name));  // from here on the destructor removes it
  if (auto r = ns.ip({"link", "set", "lo", "up"}); !r) return std::unexpected(r.error());
  return ns;
}

TestNetns::~TestNetns() {
  if (name_.empty()) return;
  auto r = run_checked({"ip", "netns", "del", name_});
  if (!r) std::fprintf(stderr, "TestNetns: %s\n", r.error().message.c_str());
}

Result<NetnsEntry> TestNetns::enter() const {
  UniqueFd previous(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!previous) return failf("enter {}: open own namespace: {}", name_, std::strerror(errno));
  UniqueFd target(::open(path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) return failf("enter {}: open {}: {}", name_, path(), std::strerror(errno));
  if (::setns(target.get(), CLONE_NEWNET) < 0)
    return failf("enter {}: setns: {}", name_, std::strerror(errno));
  return NetnsEntry(std::move(previous));
}

Result<void> TestNetns::run_inside(const std::function<void()>& fn) const {
  Result<void> outcome;
  std::thread t([&] {
    auto entry = enter();
    if (!entry) {
      outcome = std::unexpected(entry.error());
      return;
    }
    fn();
  });
  t.join();
  return outcome;
}

Result<std::string> TestNetns::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ip", "-n", name_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_checked(argv);
}

Result<nlohmann::json> TestNetns::ip_json(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"-j"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out = ip(argv);
  if (!out) return std::unexpected(out.error());
  if (out->find_first_not_of(" \n") == std::string::npos) return nlohmann::json::array();
  auto parsed = nlohmann::json::parse(*out, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return failf("ip {}: output is not JSON: {}", join(args), *out);
  return parsed;
}

Result<CommandResult> TestNetns::exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full);
}

}  // namespace wgd::testing
