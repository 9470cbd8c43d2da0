#include "serve/listen_address.h"

#include <sys/un.h>

#include <charconv>

#include "util/ip.h"

namespace wgd::serve {

std::string ListenAddress::to_string() const {
  if (kind == Kind::kUnix) return "unix:" + path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress a;
  if (text.starts_with("unix:")) {
    a.kind = ListenAddress::Kind::kUnix;
    a.path = std::string(text.substr(5));
    if (a.path.empty() || a.path.front() != '/')
      return fail("'unix:' needs an absolute socket path (unix:/run/wgd/api.sock)");
    if (a.path.size() >= sizeof(sockaddr_un{}.sun_path))
      return failf("socket path longer than {} bytes", sizeof(sockaddr_un{}.sun_path) - 1);
    return a;
  }
  std::string_view host, port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail("expected [IPV6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (auto ip = IpAddress::parse(host); !ip || !ip->is_v6())
      return failf("'{}' is not an IPv6 address", host);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected HOST:PORT, [IPV6]:PORT or unix:/path");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host != "localhost") {
      auto ip = IpAddress::parse(host);
      if (!ip || !ip->is_v4())
        return failf("'{}' is not an IPv4 address or localhost (write IPv6 as [ADDR]:PORT)", host);
    }
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
    return failf("'{}' is not a port number (0-65535)", port);
  a.host = std::string(host);
  a.port = static_cast<std::uint16_t>(value);
  return a;
}

}  // namespace wgd::serve
