// wgd show [...], wgd showconf IF: wg's show and showconf (see quick/wg_show_tool.h). The words
// after the subcommand go to them untouched, "-h" included, so the grammar and the errors are
// wg's own.
#include <string>
#include <vector>

#include "cli/command.h"
#include "quick/wg_show_tool.h"

namespace wgd::cli {
namespace {

CLI::App* raw_subcommand(CLI::App& app, const char* name, const char* help) {
  auto* cmd = app.add_subcommand(name, help);
  cmd->set_help_flag();  // "-h" belongs to wg's grammar
  cmd->allow_extras();
  cmd->prefix_command();
  return cmd;
}

std::vector<std::string_view> words(const CLI::App* cmd, std::vector<std::string>& storage) {
  storage = cmd->remaining();
  return {storage.begin(), storage.end()};
}

}  // namespace

void register_show_commands(CLI::App& app) {
  auto* show = raw_subcommand(
      app, "show",
      "Show interfaces like `wg show` ([IFNAME | all | interfaces] [FIELD]; -h lists the fields)");
  show->callback([show] {
    std::vector<std::string> storage;
    auto args = words(show, storage);
    exit_code() = quick::show_main(args);
  });
  auto* showconf = raw_subcommand(
      app, "showconf", "Print an interface's configuration like `wg showconf IFNAME`");
  showconf->callback([showconf] {
    std::vector<std::string> storage;
    auto args = words(showconf, storage);
    exit_code() = quick::showconf_main(args);
  });
}

}  // namespace wgd::cli
