#include "quick/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/unique_fd.h"

extern char** environ;

namespace wgd::quick {
namespace {

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> make_pipe(std::string_view what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return failf("{}: pipe: {}", what, std::strerror(errno));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string_view env_name(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

std::vector<std::string> child_environment(const ProcessSpec& spec) {
  std::vector<std::string> env;
  auto overridden = [&](std::string_view name) {
    for (const auto& u : spec.unset_env)
      if (u == name) return true;
    for (const auto& s : spec.set_env)
      if (env_name(s) == name) return true;
    return false;
  };
  for (char** e = environ; e && *e; ++e)
    if (!overridden(env_name(*e))) env.emplace_back(*e);
  env.insert(env.end(), spec.set_env.begin(), spec.set_env.end());
  return env;
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// While the child's stdin is being written, a child that exits early must not kill us with
// SIGPIPE; the write then fails with EPIPE, which is not our error to report.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &old_);
  }
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &old_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction old_ {};
};

// Feeds stdin and drains stdout/stderr together, so that a child blocked on one pipe while we
// wait on another cannot deadlock.
void exchange(UniqueFd in, std::string_view text, UniqueFd out, std::string& out_text,
              UniqueFd err, std::string& err_text) {
  std::size_t written = 0;
  if (in) ::fcntl(in.get(), F_SETFL, ::fcntl(in.get(), F_GETFL) | O_NONBLOCK);
  if (in && text.empty()) in.reset();
  char buf[4096];
  while (in || out || err) {
    pollfd fds[3] = {{in ? in.get() : -1, POLLOUT, 0},
                     {out ? out.get() : -1, POLLIN, 0},
                     {err ? err.get() : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (in && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(in.get(), text.data() + written, text.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == text.size()) in.reset();
    }
    UniqueFd* readers[2] = {&out, &err};
    std::string* sinks[2] = {&out_text, &err_text};
    for (int i = 0; i < 2; ++i) {
      if (!*readers[i] || !(fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(readers[i]->get(), buf, sizeof buf);
      if (n > 0)
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR)
        readers[i]->reset();
    }
  }
}

}  // namespace

std::optional<std::string> find_in_path(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::string path(name);
    return ::access(path.c_str(), X_OK) == 0 ? std::optional(path) : std::nullopt;
  }
  const char* env = std::getenv("PATH");
  std::string_view dirs = env ? env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + std::string(name);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    dirs.remove_prefix(colon + 1);
  }
}

std::string describe_exit(int exit_status) {
  if (exit_status > 128) return fmt::format("was killed by signal {}", exit_status - 128);
  return fmt::format("exited with status {}", exit_status);
}

Result<ProcessResult> run_process(const ProcessSpec& spec) {
  if (spec.argv.empty()) return fail("run_process: empty command", EINVAL);
  const std::string& name = spec.argv[0];
  auto program = find_in_path(spec.executable ? *spec.executable : name);
  if (!program) return failf("{}: command not found", name);

  // Everything the child needs is built before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> argv_strings = spec.argv;
  std::vector<std::string> env_strings = child_environment(spec);
  std::vector<char*> argv = c_array(argv_strings);
  std::vector<char*> envp = c_array(env_strings);

  Pipe in, out, err;
  if (spec.stdin_text) {
    auto p = make_pipe(name);
    if (!p) return std::unexpected(p.error());
    in = std::move(*p);
  }
  if (spec.capture_stdout) {
    auto p = make_pipe(name);
    if (!p) return std::unexpected(p.error());
    out = std::move(*p);
  }
  if (spec.capture_stderr) {
    auto p = make_pipe(name);
    if (!p) return std::unexpected(p.error());
    err = std::move(*p);
  }

  IgnoreSigpipe ignore_sigpipe;
  const pid_t pid = ::fork();
  if (pid < 0) return failf("{}: fork: {}", name, std::strerror(errno));
  if (pid == 0) {
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (in.read) ::dup2(in.read.get(), STDIN_FILENO);
    if (out.write) ::dup2(out.write.get(), STDOUT_FILENO);
    if (err.write) ::dup2(err.write.get(), STDERR_FILENO);
    ::execve(program->c_str(), argv.data(), envp.data());
    _exit(127);
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();

  ProcessResult result;
  exchange(std::move(in.write), spec.stdin_text ? *spec.stdin_text : std::string_view(),
           std::move(out.read), result.out, std::move(err.read), result.err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return failf("{}: waitpid: {}", name, std::strerror(errno));
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace wgd::quick
