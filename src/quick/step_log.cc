#include "quick/step_log.h"

#include <string>

namespace wgd::quick {

StepLog::StepLog()
    : sink_([](std::string_view line) {
        std::string text(line);
        text += '\n';
        std::fputs(text.c_str(), stderr);
        std::fflush(stderr);
      }) {}

void StepLog::step(std::string_view command) const {
  sink_(std::string("[#] ") + std::string(command));
}

void StepLog::notice(std::string_view message) const {
  sink_(std::string("[!] ") + std::string(message));
}

void StepLog::raw(std::string_view line) const {
  sink_(line);
}

}  // namespace wgd::quick
