// wgd up FILE|NAME, wgd down FILE|NAME: wg-quick for the same files (see quick/quick.h).
#include <cstdio>

#include "cli/command.h"
#include "quick/quick.h"

namespace wgd::cli {
namespace {

void add(CLI::App& app, const char* name, const char* help,
         Result<void> (*action)(std::string_view, const quick::QuickOptions&)) {
  auto target = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("CONFIG", *target,
                  "A wg-quick file whose name is the interface name followed by .conf, or an "
                  "interface NAME for /etc/wireguard/NAME.conf")
      ->required();
  cmd->callback([target, name, action] {
    auto r = action(*target, quick::QuickOptions{});
    if (!r) {
      std::fprintf(stderr, "wgd %s: %s\n", name, r.error().message.c_str());
      exit_code() = 1;
    }
  });
}

}  // namespace

void register_up_down_commands(CLI::App& app) {
  add(app, "up", "Bring up a WireGuard interface from a wg-quick file (like wg-quick up)",
      &quick::quick_up);
  add(app, "down", "Take down an interface brought up from a wg-quick file (like wg-quick down)",
      &quick::quick_down);
}

}  // namespace wgd::cli
