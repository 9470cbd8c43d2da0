#include "uapi/wg_quick_syntax.h"

#include "uapi/wg_quick_config.h"

namespace wgd::uapi::wg_quick_syntax {

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool looks_like_ip(std::string_view s) {
  return s.find(':') != std::string_view::npos ||
         std::all_of(s.begin(), s.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

bool valid_search_domain(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           c == '~';
  });
}

bool valid_table_name(std::string_view s) {
  return !s.empty() && std::isalpha(static_cast<unsigned char>(s.front())) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
         });
}

Result<void> check_endpoint_text(std::string_view s) {
  if (auto hp = split_host_port(s); !hp) return std::unexpected(hp.error());
  for (char c : s)
    if (is_blank(c) || c == '#' || c == ',' || static_cast<unsigned char>(c) < 0x20)
      return failf("'{}' contains a character not allowed in a host name", s);
  return {};
}

}  // namespace wgd::uapi::wg_quick_syntax
