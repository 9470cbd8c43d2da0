// wgd: a userspace WireGuard implementation and VPN server. See README.md.
#include <cstdio>
#include <string_view>
#include <vector>

#include "cli/command.h"

namespace wgd::cli {

int& exit_code() {
  static int code = 0;
  return code;
}

}  // namespace wgd::cli

namespace {

// Invoked as `wgd-tunnel IFNAME` (a link to wgd): the one-argument form wg-quick runs for
// WG_QUICK_USERSPACE_IMPLEMENTATION. Rewrites the arguments to `wgd tunnel IFNAME`.
std::vector<char*> arguments(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  std::string_view self = argv[0];
  if (auto slash = self.rfind('/'); slash != std::string_view::npos) self = self.substr(slash + 1);
  static char tunnel[] = "tunnel";
  if (self == "wgd-tunnel") args.insert(args.begin() + 1, tunnel);
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args = arguments(argc, argv);
  argc = static_cast<int>(args.size());
  argv = args.data();
  CLI::App app{"wgd - userspace WireGuard: tunnels, wg/wg-quick drop-in, and a VPN server", "wgd"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  wgd::cli::register_key_commands(app);
  wgd::cli::register_tunnel_command(app);
  wgd::cli::register_strip_command(app);
  wgd::cli::register_up_down_commands(app);
  wgd::cli::register_show_commands(app);
  wgd::cli::register_mesh_command(app);
  wgd::cli::register_serve_command(app);
  wgd::cli::register_doctor_command(app);
  wgd::cli::register_peer_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return wgd::cli::exit_code();
}
