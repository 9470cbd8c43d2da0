#include <fmt/format.h>

#include "doctor/finding.h"

namespace wgd::doctor {

std::string_view severity_tag(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "[ok]";
    case Severity::kWarn:
      return "[warn]";
    case Severity::kFail:
      return "[fail]";
  }
  return "[?]";
}

std::string render_report(const Report& report) {
  std::string out;
  for (const auto& section : report.sections) {
    if (!out.empty()) out += '\n';
    out += section.heading;
    out += '\n';
    for (const auto& f : section.findings) {
      out += fmt::format("  {:<6} {}\n", severity_tag(f.severity), f.text);
      if (!f.more.empty()) out += fmt::format("         more: {}\n", f.more);
    }
  }
  const int fails = report.count(Severity::kFail), warns = report.count(Severity::kWarn);
  out += fmt::format("\n{} problem{}, {} warning{}\n", fails, fails == 1 ? "" : "s", warns,
                     warns == 1 ? "" : "s");
  return out;
}

}  // namespace wgd::doctor
