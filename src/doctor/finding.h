// What doctor reports: a list of sections ("interface wg0", "peer ...", "forwarding and NAT"),
// each a list of findings in plain language, each with the command that shows more.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wgd::doctor {

enum class Severity : std::uint8_t { kOk, kWarn, kFail };

struct Finding {
  Severity severity = Severity::kOk;
  std::string text;  // one plain-language line: what is the case and, for a problem, what to do
  std::string more;  // a command that shows more ("wg show wg0", "iptables-save -t filter")
};

inline Finding ok(std::string text, std::string more = {}) {
  return {Severity::kOk, std::move(text), std::move(more)};
}
inline Finding warn(std::string text, std::string more = {}) {
  return {Severity::kWarn, std::move(text), std::move(more)};
}
inline Finding failure(std::string text, std::string more = {}) {
  return {Severity::kFail, std::move(text), std::move(more)};
}

struct Section {
  std::string heading;  // "interface wg0", "peer <key> (endpoint ...)"
  std::vector<Finding> findings;
};

struct Report {
  std::vector<Section> sections;

  int count(Severity s) const {
    int n = 0;
    for (const auto& sec : sections)
      for (const auto& f : sec.findings) n += f.severity == s;
    return n;
  }
};

// "[ok]   text\n       more: cmd" per finding, sections as headings, then a summary line.
std::string render_report(const Report& report);
std::string_view severity_tag(Severity s);  // "[ok]", "[warn]", "[fail]"

}  // namespace wgd::doctor
