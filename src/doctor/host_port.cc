#include "doctor/host_port.h"

#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <memory>

namespace wgd::doctor {
namespace {

Result<std::uint16_t> parse_port(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || value == 0 ||
      value > 65535)
    return failf("{}: '{}' is not a UDP port (1-65535)", whole, text);
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port) {
  if (text.empty()) return fail("empty HOST:PORT");
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return failf("{}: missing ']'", text);
    HostPort hp{std::string(text.substr(1, close - 1)), default_port};
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return failf("{}: expected ':PORT' after ']'", text);
      auto port = parse_port(rest.substr(1), text);
      if (!port) return std::unexpected(port.error());
      hp.port = *port;
    }
    if (hp.host.empty()) return failf("{}: empty host", text);
    return hp;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || text.find(':') != colon)  // none, or a bare IPv6 address
    return HostPort{std::string(text), default_port};
  auto port = parse_port(text.substr(colon + 1), text);
  if (!port) return std::unexpected(port.error());
  if (colon == 0) return failf("{}: empty host", text);
  return HostPort{std::string(text.substr(0, colon)), *port};
}

Result<Endpoint> resolve_host_port(const HostPort& target) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(target.port);
  int rc = ::getaddrinfo(target.host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) return failf("{}: {}", target.host, ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
  for (addrinfo* a = found; a; a = a->ai_next)
    if (auto ep = Endpoint::from_sockaddr(a->ai_addr, a->ai_addrlen)) return *ep;
  return failf("{}: no IPv4 or IPv6 address", target.host);
}

}  // namespace wgd::doctor
