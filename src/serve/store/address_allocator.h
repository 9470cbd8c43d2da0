// Tunnel address allocation as pure logic: which host addresses of a subnet a peer may get.
// The store supplies the addresses in use (from its unique index, in order); the database's
// unique constraint, not this code, is what finally guarantees an address is never handed out
// twice when several servers allocate at once.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve {

// One tunnel subnet of the server and the addresses in it that peers may not have.
struct TunnelSubnet {
  IpPrefix subnet;                  // canonical, e.g. 10.8.0.0/24 or fd00:8::/64
  std::vector<IpAddress> reserved;  // the server's own address(es) in it

  // From the server's interface address as wg-quick writes it: "10.8.0.1/24" gives the subnet
  // 10.8.0.0/24 with 10.8.0.1 reserved.
  static TunnelSubnet from_interface_address(const IpPrefix& address);
};

// The server's tunnel subnets, at most one per family.
struct AddressPool {
  std::optional<TunnelSubnet> v4, v6;

  const std::optional<TunnelSubnet>& for_family(IpAddress::Family f) const {
    return f == IpAddress::Family::kV4 ? v4 : v6;
  }
};

// The lowest host address of `s` that is not reserved and not in `used_sorted`, never the
// network address, the IPv4 broadcast address or the IPv6 subnet-router anycast address (the
// prefix's all-zero address). /31 and /32 (IPv4) and /127 and /128 (IPv6) have no such special
// addresses (RFC 3021, RFC 6164). `used_sorted` must be ascending without duplicates; entries
// outside the subnet or of the other family are ignored. Cost: O(log n) per reserved address,
// never proportional to the size of the subnet, so a /64 with a million peers is cheap.
// Fails with kSubnetFull when every host address is taken.
Result<IpAddress> allocate_address(const TunnelSubnet& s, std::span<const IpAddress> used_sorted);

// Whether `address` may be given to a peer on request. `taken_by` names the peer that already
// holds it, if one does. Errors (kInvalid or kConflict) read like "10.9.0.5 is outside
// 10.8.0.0/24", "10.8.0.1 is the server's address", "10.8.0.7 is already taken by peer alice".
Result<void> validate_requested(const IpAddress& address, const TunnelSubnet& s,
                                std::optional<std::string_view> taken_by);

// The first (all-zero) and last (all-ones) address of a prefix, e.g. 10.8.0.0 and 10.8.0.255
// for 10.8.0.0/24: the bounds of a range scan over the addresses in use.
std::pair<IpAddress, IpAddress> subnet_bounds(const IpPrefix& subnet);

// How many addresses of `s` a peer could ever get (reserved ones excluded), saturated at
// 2^64 - 1 for huge IPv6 subnets.
std::uint64_t usable_address_count(const TunnelSubnet& s);

}  // namespace wgd::serve
