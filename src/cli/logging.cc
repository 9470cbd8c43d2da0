#include "cli/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <string>

namespace wgd::cli {

Result<LogTarget> parse_log_target(std::string_view text) {
  if (text == "stderr") return LogTarget::kStderr;
  if (text == "syslog") return LogTarget::kSyslog;
  return fail("--log: '" + std::string(text) + "' is neither 'stderr' nor 'syslog'");
}

void setup_logging(LogTarget target, std::string_view ident, bool verbose) {
  std::shared_ptr<spdlog::logger> logger;
  if (target == LogTarget::kSyslog) {
    logger = spdlog::syslog_logger_mt("wgd", std::string(ident), LOG_PID, LOG_DAEMON);
    logger->set_pattern("%v");  // syslog adds time, host and program itself
  } else {
    logger = spdlog::stderr_color_mt("wgd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace wgd::cli
