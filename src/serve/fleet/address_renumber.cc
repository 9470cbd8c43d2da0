#include "serve/fleet/address_renumber.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace wgd::serve {

std::optional<IpAddress> renumber_into(const IpAddress& address, const TunnelSubnet& subnet) {
  const IpPrefix net = subnet.subnet.canonical();
  if (address.family() != net.address.family()) return std::nullopt;
  IpAddress moved = address;
  if (!net.contains(address)) {
    std::array<std::uint8_t, 16> b{};
    const std::size_t n = address.byte_length();
    for (std::size_t i = 0; i < n; ++i) {
      const int bits_in_prefix = std::clamp(net.length - static_cast<int>(i) * 8, 0, 8);
      const std::uint8_t prefix_mask = static_cast<std::uint8_t>(0xff00u >> bits_in_prefix);
      b[i] = (net.address.bytes()[i] & prefix_mask) | (address.bytes()[i] & ~prefix_mask);
    }
    moved = address.is_v4() ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  }
  // Only what allocate_address itself could hand out.
  const auto [first, last] = subnet_bounds(net);
  const bool tiny = net.length >= address.bit_length() - 1;  // /31, /32, /127, /128
  if (!tiny && moved == first) return std::nullopt;
  if (!tiny && address.is_v4() && moved == last) return std::nullopt;
  if (std::find(subnet.reserved.begin(), subnet.reserved.end(), moved) != subnet.reserved.end())
    return std::nullopt;
  return moved;
}

}  // namespace wgd::serve
