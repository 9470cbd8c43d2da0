#include "doctor/rule_values.h"

#include <cctype>
#include <charconv>

namespace wgd::doctor {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<PortRange> parse_port_range(std::string_view text, char range_separator) {
  if (text.empty()) return std::nullopt;
  auto sep = text.find(range_separator);
  if (sep == std::string_view::npos) {
    auto port = parse_port(text);
    if (!port) return std::nullopt;
    return PortRange{*port, *port};
  }
  // iptables allows open ends: ":1024" is 0..1024, "1024:" is 1024..65535.
  auto lo = sep == 0 ? std::optional<std::uint16_t>(0) : parse_port(text.substr(0, sep));
  auto hi = sep + 1 == text.size() ? std::optional<std::uint16_t>(65535)
                                   : parse_port(text.substr(sep + 1));
  if (!lo || !hi) return std::nullopt;
  if (*lo > *hi) return PortRange{*hi, *lo};  // iptables swaps a reversed range
  return PortRange{*lo, *hi};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> normalize_protocol(std::string_view text) {
  std::string p = lowercase(text);
  if (p == "all" || p == "0") return std::nullopt;
  if (p == "17") return "udp";
  if (p == "6") return "tcp";
  if (p == "1") return "icmp";
  if (p == "58" || p == "ipv6-icmp" || p == "icmpv6") return "icmpv6";
  return p;
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    if (!word.empty()) out.emplace_back(word);
    start = end + 1;
  }
  return out;
}

bool is_any_prefix(const IpPrefix& p) {
  return p.length == 0;
}

}  // namespace wgd::doctor
