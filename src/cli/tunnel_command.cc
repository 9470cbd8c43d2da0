// wgd tunnel [--foreground] IFNAME: a userspace WireGuard interface, as `wireguard-go IFNAME`.
// Also reached as `wgd-tunnel IFNAME` (a link to wgd), the one-argument executable that
// wg-quick's WG_QUICK_USERSPACE_IMPLEMENTATION needs.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <cstdio>
#include <cstdlib>

#include "cli/command.h"
#include "cli/logging.h"
#include "tunnel/interface.h"

namespace wgd::cli {
namespace {

struct TunnelArgs {
  std::string ifname;
  bool foreground = false;
  std::string log;  // empty: stderr in the foreground, syslog in the background
  bool verbose = false;
  bool no_offloads = false;
};

// Test-only: WGD_TEST_TIMER_SCALE=N divides every protocol timer by N, so that integration
// tests can watch several rekeys in seconds. Never set it in production.
wg::TimerSettings timer_settings() {
  const char* scale = std::getenv("WGD_TEST_TIMER_SCALE");
  if (!scale) return {};
  int n = 0;
  auto [p, ec] = std::from_chars(scale, scale + std::strlen(scale), n);
  if (ec != std::errc() || *p != '\0' || n < 1) {
    spdlog::warn("ignoring WGD_TEST_TIMER_SCALE='{}': not a positive integer", scale);
    return {};
  }
  spdlog::warn("TEST ONLY: protocol timers divided by {} (WGD_TEST_TIMER_SCALE)", n);
  return wg::TimerSettings{}.scaled_down(n);
}

// Leaves the foreground: the parent returns to its caller (wg-quick) once the interface and its
// UAPI socket exist, which they already do here. The parent must not run destructors: they
// would remove the socket the child now serves.
void daemonize() {
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("wgd: fork");
    std::_Exit(1);
  }
  if (pid > 0) std::_Exit(0);
  setsid();
  (void)!chdir("/");
  const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
}

int run_tunnel(const TunnelArgs& args) {
  LogTarget target = args.foreground ? LogTarget::kStderr : LogTarget::kSyslog;
  if (!args.log.empty()) {
    auto t = parse_log_target(args.log);
    if (!t) {
      std::fprintf(stderr, "wgd: %s\n", t.error().message.c_str());
      return 1;
    }
    target = *t;
  }
  setup_logging(target, "wgd-tunnel", args.verbose);
  tunnel::InterfaceOptions options;
  options.name = args.ifname;
  options.timers = timer_settings();
  // Offloads are on unless switched off here or by WGD_OFFLOADS=0 (the benchmark measures what
  // they contribute that way; it is also an escape hatch should a kernel misbehave).
  const char* env = std::getenv("WGD_OFFLOADS");
  options.offloads = !args.no_offloads && !(env && std::string_view(env) == "0");
  auto itf = tunnel::Interface::create(std::move(options));
  if (!itf) {
    spdlog::error("{}: {}", args.ifname, itf.error().message);
    if (target == LogTarget::kSyslog) std::fprintf(stderr, "wgd: %s: %s\n", args.ifname.c_str(), itf.error().message.c_str());
    return 1;
  }
  if (!args.foreground) {
    if (target == LogTarget::kStderr)
      spdlog::warn("logging to stderr in the background goes nowhere; use --log syslog");
    daemonize();
  }
  auto ok = (*itf)->run();
  if (!ok) {
    spdlog::error("{}: {}", args.ifname, ok.error().message);
    return 1;
  }
  return 0;
}

}  // namespace

void register_tunnel_command(CLI::App& app) {
  auto args = std::make_shared<TunnelArgs>();
  auto* cmd = app.add_subcommand(
      "tunnel", "Run a userspace WireGuard interface IFNAME (like wireguard-go IFNAME)");
  cmd->add_option("IFNAME", args->ifname, "Interface name (created as a TUN device)")->required();
  cmd->add_flag("-f,--foreground", args->foreground,
                "Stay in the foreground (default: go to the background once the interface exists)");
  cmd->add_option("--log", args->log, "stderr or syslog (default: stderr in the foreground, syslog otherwise)");
  cmd->add_flag("-v,--verbose", args->verbose, "Log debug messages too");
  cmd->add_flag("--no-offloads", args->no_offloads,
                "No TUN segmentation/checksum offloads and no UDP GSO/GRO (also WGD_OFFLOADS=0)");
  cmd->callback([args] {
    // wireguard-go honours WG_PROCESS_FOREGROUND=1 the same way; scripts written for it work here.
    if (const char* fg = std::getenv("WG_PROCESS_FOREGROUND"); fg && std::string_view(fg) == "1")
      args->foreground = true;
    exit_code() = run_tunnel(*args);
  });
}

}  // namespace wgd::cli
