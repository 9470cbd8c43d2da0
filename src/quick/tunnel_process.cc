#include "quick/tunnel_process.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <thread>

#include "quick/process.h"

namespace wgd::quick {
namespace {

// What `ps` should show as the daemon's argv[0]: the real path behind /proc/self/exe.
std::string display_path(const std::string& program) {
  if (program != "/proc/self/exe") return program;
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "wgd";
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

Result<void> start_tunnel(const TunnelLauncher& launcher, std::string_view interface,
                          const StepLog& log) {
  log.step(fmt::format("wgd tunnel {}", interface));
  ProcessSpec spec;
  spec.argv = {display_path(launcher.program), "tunnel", std::string(interface)};
  spec.executable = launcher.program;
  spec.stdin_text = "";
  // With it set, the tunnel would stay in the foreground and never hand control back.
  spec.unset_env = {"WG_PROCESS_FOREGROUND"};
  auto result = run_process(spec);
  if (!result) return failf("could not start `wgd tunnel {}': {}", interface, result.error().message);
  if (result->exit_status != 0)
    return failf("`wgd tunnel {}' {}", interface, describe_exit(result->exit_status));
  return {};
}

bool wait_for_socket_gone(const std::string& socket_path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  struct stat st {};
  while (::lstat(socket_path.c_str(), &st) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace wgd::quick
