// The lexical rules of wg-quick files that the parser and the renderer share (internal to
// uapi/wg_quick_*.cc): what counts as a blank, a number, a DNS server, a search domain, a routing
// table name and an endpoint text that survives a round trip.
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "util/error.h"

namespace wgd::uapi::wg_quick_syntax {

// Blanks as C's isspace() sees them (wg strips these; CR makes CRLF files work).
inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

// Decimal digits only (no sign, no blanks), at most `max`.
template <class T>
std::optional<T> parse_decimal(std::string_view s, T max = std::numeric_limits<T>::max()) {
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front()))) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return static_cast<T>(v);
}

// wg-quick's test for a DNS server: only digits and dots, or any colon (IPv6).
bool looks_like_ip(std::string_view s);
// Search domains go to resolvconf as words; "~" marks a routing-only domain for systemd-resolved.
bool valid_search_domain(std::string_view s);
// Letters, digits, '_', '-', '.', starting with a letter (so it cannot be taken for a number).
bool valid_table_name(std::string_view s);
// An endpoint text that renders and parses back unchanged: a valid host:port without blanks,
// comment characters or control characters.
Result<void> check_endpoint_text(std::string_view s);

}  // namespace wgd::uapi::wg_quick_syntax
