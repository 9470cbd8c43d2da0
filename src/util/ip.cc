#include "util/ip.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

#include "util/bytes.h"

namespace wgd {

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> b) {
  IpAddress a;
  a.family_ = Family::kV4;
  std::memcpy(a.bytes_.data(), b.data(), 4);
  return a;
}

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::kV4;
  store_be32(a.bytes_.data(), host_order);
  return a;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> b) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = b;
  return a;
}

IpAddress IpAddress::from_bytes(Family f, const std::uint8_t* bytes) {
  IpAddress a;
  a.family_ = f;
  std::memcpy(a.bytes_.data(), bytes, f == Family::kV4 ? 4 : 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes_.data()) == 1) {
    a.family_ = Family::kV4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) {
    a.family_ = Family::kV6;
    return a;
  }
  return std::nullopt;
}

std::uint32_t IpAddress::v4_host_order() const { return load_be32(bytes_.data()); }

bool IpAddress::is_unspecified() const {
  for (std::size_t i = 0; i < byte_length(); ++i)
    if (bytes_[i]) return false;
  return true;
}

IpAddress IpAddress::unmapped() const {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (is_v6() && std::memcmp(bytes_.data(), kMapped, 12) == 0)
    return from_bytes(Family::kV4, bytes_.data() + 12);
  return *this;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::masked(int prefix_len) const {
  IpAddress a = *this;
  for (int i = 0; i < static_cast<int>(byte_length()); ++i) {
    int keep = prefix_len - i * 8;
    if (keep >= 8) continue;
    a.bytes_[i] &= keep <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - keep));
  }
  return a;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  int len = addr->bit_length();
  if (slash != std::string_view::npos) {
    std::string_view l = text.substr(slash + 1);
    if (l.empty() || l.size() > 3) return std::nullopt;
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || p != l.data() + l.size() || len < 0 || len > addr->bit_length())
      return std::nullopt;
  }
  return IpPrefix{*addr, len};
}

bool IpPrefix::contains(const IpAddress& a) const {
  return a.family() == address.family() && a.masked(length) == address.masked(length);
}

bool IpPrefix::overlaps(const IpPrefix& o) const {
  if (o.address.family() != address.family()) return false;
  int shorter = std::min(length, o.length);
  return address.masked(shorter) == o.address.masked(shorter);
}

std::string IpPrefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // v6 needs brackets
  }
  Endpoint e;
  auto pct = host.find('%');
  if (pct != std::string_view::npos) {
    std::string ifname(host.substr(pct + 1));
    host = host.substr(0, pct);
    unsigned idx = 0;
    auto [p, ec] = std::from_chars(ifname.data(), ifname.data() + ifname.size(), idx);
    if (ec != std::errc() || p != ifname.data() + ifname.size()) idx = if_nametoindex(ifname.c_str());
    if (idx == 0) return std::nullopt;
    e.scope_id = idx;
  }
  auto addr = IpAddress::parse(host);
  if (!addr || (e.scope_id && !addr->is_v6())) return std::nullopt;
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p > 65535)
    return std::nullopt;
  e.address = *addr;
  e.port = static_cast<std::uint16_t>(p);
  return e;
}

std::optional<Endpoint> Endpoint::from_sockaddr(const sockaddr* sa, socklen_t len) {
  Endpoint e;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    e.address = IpAddress::from_bytes(IpAddress::Family::kV4,
                                      reinterpret_cast<const std::uint8_t*>(&in->sin_addr));
    e.port = ntohs(in->sin_port);
    return e;
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    e.address = IpAddress::from_bytes(IpAddress::Family::kV6,
                                      reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr))
                    .unmapped();
    e.port = ntohs(in6->sin6_port);
    if (e.address.is_v6()) e.scope_id = in6->sin6_scope_id;
    return e;
  }
  return std::nullopt;
}

socklen_t Endpoint::to_sockaddr(sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof out);
  if (address.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address.bytes(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  in6->sin6_scope_id = scope_id;
  std::memcpy(&in6->sin6_addr, address.bytes(), 16);
  return sizeof(sockaddr_in6);
}

socklen_t Endpoint::to_sockaddr_v6(sockaddr_in6& out) const {
  std::memset(&out, 0, sizeof out);
  out.sin6_family = AF_INET6;
  out.sin6_port = htons(port);
  if (address.is_v4()) {
    auto* b = reinterpret_cast<std::uint8_t*>(&out.sin6_addr);
    b[10] = b[11] = 0xff;
    std::memcpy(b + 12, address.bytes(), 4);
  } else {
    std::memcpy(&out.sin6_addr, address.bytes(), 16);
    out.sin6_scope_id = scope_id;
  }
  return sizeof out;
}

std::string Endpoint::to_string() const {
  if (address.is_v4()) return address.to_string() + ":" + std::to_string(port);
  std::string host = address.to_string();
  if (scope_id) host += "%" + std::to_string(scope_id);
  return "[" + host + "]:" + std::to_string(port);
}

}  // namespace wgd

std::size_t std::hash<wgd::IpAddress>::operator()(const wgd::IpAddress& a) const noexcept {
  std::size_t h = static_cast<std::size_t>(a.family());
  for (std::size_t i = 0; i < a.byte_length(); ++i) h = h * 131 + a.bytes()[i];
  return h;
}

std::size_t std::hash<wgd::Endpoint>::operator()(const wgd::Endpoint& e) const noexcept {
  return std::hash<wgd::IpAddress>{}(e.address) * 65599 + e.port;
}
