// wgd strip FILE|NAME: the file with the wg-quick-only keys removed, i.e. what `wg setconf`
// accepts (as `wg-quick strip`). `wgd up` prints its configuration step as `wg setconf IF
// <(wgd strip FILE)`, so the line can be replayed by hand.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "quick/config_location.h"
#include "uapi/wg_quick_config.h"

namespace wgd::cli {
namespace {

int strip(const std::string& file_or_name) {
  auto location = quick::locate_config(file_or_name);
  if (!location) {
    std::fprintf(stderr, "wgd: %s\n", location.error().message.c_str());
    return 1;
  }
  if (auto warning = quick::world_accessible_warning(location->path))
    std::fprintf(stderr, "%s\n", warning->c_str());
  auto config = quick::read_config(*location);
  if (!config) {
    std::fprintf(stderr, "wgd: %s\n", config.error().message.c_str());
    return 1;
  }
  auto text = uapi::strip_wg_quick(*config);
  if (!text) {
    std::fprintf(stderr, "wgd: %s\n", text.error().message.c_str());
    return 1;
  }
  std::fputs(text->c_str(), stdout);
  return 0;
}

}  // namespace

void register_strip_command(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "strip", "Print a wg-quick file without the wg-quick-only keys, as `wg-quick strip` does");
  cmd->add_option("FILE|NAME", *file, "A path, or NAME for /etc/wireguard/NAME.conf")->required();
  cmd->callback([file] { exit_code() = strip(*file); });
}

}  // namespace wgd::cli
