// IP addresses, prefixes (CIDR) and UDP endpoints as plain values, with text forms.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wgd {

class IpAddress {
 public:
  enum class Family : std::uint8_t { kV4 = 4, kV6 = 6 };

  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(std::array<std::uint8_t, 4> b);
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v6(std::array<std::uint8_t, 16> b);
  static IpAddress from_bytes(Family f, const std::uint8_t* bytes);
  static std::optional<IpAddress> parse(std::string_view text);  // "192.0.2.1", "2001:db8::1"

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  int bit_length() const { return is_v4() ? 32 : 128; }
  std::size_t byte_length() const { return is_v4() ? 4 : 16; }
  const std::uint8_t* bytes() const { return bytes_.data(); }  // network order, byte_length()
  std::uint32_t v4_host_order() const;                          // only for v4
  bool is_unspecified() const;
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4; anything else unchanged.
  IpAddress unmapped() const;
  std::string to_string() const;

  bool bit(int i) const { return (bytes_[i / 8] >> (7 - i % 8)) & 1; }
  // The address with every bit from `prefix_len` on cleared.
  IpAddress masked(int prefix_len) const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::kV4;
  std::array<std::uint8_t, 16> bytes_{};  // v4 uses the first 4 bytes
};

// An address with a prefix length, as in AllowedIPs and Address. `parse` accepts a bare address
// (full length). The address is kept as given; `canonical()` masks the host bits.
struct IpPrefix {
  IpAddress address;
  int length = 0;

  static std::optional<IpPrefix> parse(std::string_view text);
  IpPrefix canonical() const { return {address.masked(length), length}; }
  bool contains(const IpAddress& a) const;
  bool overlaps(const IpPrefix& o) const;
  std::string to_string() const;  // "10.0.0.1/24"

  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

// A UDP endpoint. IPv6 link-local addresses carry their scope (interface index).
struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint32_t scope_id = 0;

  // "192.0.2.1:51820", "[2001:db8::1]:51820", "[fe80::1%eth0]:51820"; numeric only.
  static std::optional<Endpoint> parse(std::string_view text);
  static std::optional<Endpoint> from_sockaddr(const sockaddr* sa, socklen_t len);
  // Fills `out` (a sockaddr_in or sockaddr_in6) and returns its length.
  socklen_t to_sockaddr(sockaddr_storage& out) const;
  // As IPv6 (v4 as ::ffff:a.b.c.d) for a dual-stack socket.
  socklen_t to_sockaddr_v6(sockaddr_in6& out) const;
  std::string to_string() const;

  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace wgd

template <>
struct std::hash<wgd::IpAddress> {
  std::size_t operator()(const wgd::IpAddress& a) const noexcept;
};
template <>
struct std::hash<wgd::Endpoint> {
  std::size_t operator()(const wgd::Endpoint& e) const noexcept;
};
