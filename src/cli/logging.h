// Where log lines go: stderr (foreground, containers, systemd) or syslog (daemons).
#pragma once

#include <string_view>

#include "util/error.h"

namespace wgd::cli {

enum class LogTarget { kStderr, kSyslog };

Result<LogTarget> parse_log_target(std::string_view text);
// Installs the default spdlog logger. `ident` names the program in syslog.
void setup_logging(LogTarget target, std::string_view ident, bool verbose);

}  // namespace wgd::cli
