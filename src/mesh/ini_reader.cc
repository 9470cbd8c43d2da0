#include "mesh/ini_reader.h"

#include <algorithm>
#include <cctype>

#include "mesh/error_list.h"

namespace wgd::mesh {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string normalize_key(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '-') c = '_';
  }
  return out;
}

bool valid_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// A control character other than a tab; a CR is allowed only as the last character (CRLF files).
bool has_control_character(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == '\t') continue;
    if (c == '\r' && i + 1 == line.size()) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

Result<std::vector<IniSection>> read_ini(std::string_view text, std::string_view file_name) {
  ErrorList errors{std::string(file_name)};
  std::vector<IniSection> sections;
  int line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;

    if (has_control_character(line)) {
      errors.add(line_number, "a control character (only tabs are allowed)");
      continue;
    }
    line = trim(line);
    if (line.empty() || line.front() == ';') continue;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;

    if (line.front() == '[') {
      if (line.back() != ']') {
        errors.add(line_number, "a section header must end with ']'");
        continue;
      }
      std::string_view inner = trim(line.substr(1, line.size() - 2));
      const std::size_t blank = inner.find_first_of(" \t");
      const std::string kind = normalize_key(inner.substr(0, blank));
      if (!valid_key(kind)) {
        errors.add(line_number, "'{}' is not a section header", line);
        continue;
      }
      IniSection section;
      section.kind = kind;
      section.argument =
          blank == std::string_view::npos ? std::string() : std::string(trim(inner.substr(blank)));
      section.line = line_number;
      sections.push_back(std::move(section));
      continue;
    }

    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      errors.add(line_number, "expected 'KEY = VALUE' or a [section] header, got '{}'", line);
      continue;
    }
    const std::string key = normalize_key(trim(line.substr(0, eq)));
    if (!valid_key(key)) {
      errors.add(line_number, "'{}' is not a key name", trim(line.substr(0, eq)));
      continue;
    }
    if (sections.empty()) {
      errors.add(line_number, "{}: outside any section (start with [mesh])", key);
      continue;
    }
    sections.back().entries.push_back(
        IniEntry{key, std::string(trim(line.substr(eq + 1))), line_number});
  }
  if (!errors.empty()) return std::unexpected(errors.to_error());
  return sections;
}

}  // namespace wgd::mesh
