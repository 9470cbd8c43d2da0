#include "mesh/endpoint_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace wgd::mesh {
namespace {

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

Result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty()) return fail("the port after ':' is missing");
  unsigned value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p != text.data() + text.size() ||
      !std::isdigit(static_cast<unsigned char>(text.front())))
    return failf("port '{}' is not a number", text);
  if (value < 1 || value > 65535) return failf("port {} is not in 1-65535", text);
  return static_cast<std::uint16_t>(value);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<EndpointSpec> with_optional_port(std::string host, std::string_view port_text,
                                        bool has_port) {
  EndpointSpec spec{std::move(host), std::nullopt};
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return std::unexpected(port.error());
    spec.port = *port;
  }
  return spec;
}

}  // namespace

bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::string_view last;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (!valid_label(label)) return false;
    last = label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return !std::all_of(last.begin(), last.end(),
                      [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::string EndpointSpec::with_port(std::uint16_t p) const {
  const auto a = address();
  return a && a->is_v6() ? fmt::format("[{}]:{}", host, p) : fmt::format("{}:{}", host, p);
}

Result<EndpointSpec> parse_endpoint_spec(std::string_view text) {
  if (text.empty()) return fail("empty (leave the key out, or write 'dynamic', for none)");
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("'[' without ']'");
    const auto address = IpAddress::parse(text.substr(1, close - 1));
    if (!address || !address->is_v6())
      return failf("'{}' inside [] is not an IPv6 address", text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return failf("unexpected '{}' after ']'", rest);
    return with_optional_port(address->to_string(), rest.empty() ? rest : rest.substr(1),
                              !rest.empty());
  }
  const auto colons = std::count(text.begin(), text.end(), ':');
  if (colons >= 2) {
    const auto address = IpAddress::parse(text);
    if (!address || !address->is_v6())
      return failf("'{}' is not an IPv6 address (with a port, write [ADDRESS]:PORT)", text);
    return EndpointSpec{address->to_string(), std::nullopt};
  }
  const std::size_t colon = text.find(':');
  const std::string_view host = text.substr(0, colon);
  if (host.empty()) return fail("the host before ':' is missing");
  std::string canonical_host;
  if (const auto address = IpAddress::parse(host)) {
    canonical_host = address->to_string();
  } else if (valid_dns_name(host)) {
    canonical_host = lower(host);
  } else {
    return failf("'{}' is neither an IP address nor a valid DNS name", host);
  }
  return with_optional_port(std::move(canonical_host),
                            colon == std::string_view::npos ? "" : text.substr(colon + 1),
                            colon != std::string_view::npos);
}

}  // namespace wgd::mesh
