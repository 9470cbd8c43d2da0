#include "serve/store/address_allocator.h"

#include <algorithm>
#include <limits>

#include "serve/store/store_error.h"

namespace wgd::serve {
namespace {

// Addresses as 128-bit integers (IPv4 in the low 32 bits), so gap arithmetic is one subtraction.
using U128 = unsigned __int128;

U128 to_int(const IpAddress& a) {
  U128 v = 0;
  for (std::size_t i = 0; i < a.byte_length(); ++i) v = (v << 8) | a.bytes()[i];
  return v;
}

IpAddress from_int(U128 v, IpAddress::Family f) {
  std::uint8_t b[16];
  std::size_t n = f == IpAddress::Family::kV4 ? 4 : 16;
  for (std::size_t i = n; i-- > 0;) {
    b[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
  return IpAddress::from_bytes(f, b);
}

// The addresses of a subnet and which of them are special.
struct HostRange {
  U128 network = 0;          // the prefix's all-zero address
  U128 top = 0;              // the prefix's all-ones address
  U128 first = 0, last = 0;  // the range peers may get, before reserved/used addresses
  bool has_special = false;  // network (and for IPv4 broadcast) are excluded
};

HostRange host_range(const IpPrefix& subnet) {
  IpPrefix c = subnet.canonical();
  int host_bits = c.address.bit_length() - c.length;
  HostRange r;
  r.network = to_int(c.address);
  U128 span = host_bits >= 128 ? ~U128{0} : (U128{1} << host_bits) - 1;
  r.top = r.network + span;
  // /31 and /32 (RFC 3021), /127 and /128 (RFC 6164): every address is a host address.
  r.has_special = c.address.is_v4() ? c.length <= 30 : c.length <= 126;
  r.first = r.network + (r.has_special ? 1 : 0);
  r.last = r.top - (r.has_special && c.address.is_v4() ? 1 : 0);
  return r;
}

// The lowest x' >= x not in `used` (ascending, unique). Since used[i] - i never decreases along
// a strictly increasing list, the end of the run of consecutive used addresses starting at x is
// found by binary search: O(log n) whatever the gaps look like. `steps` is how far past x the
// answer lies (so the caller can detect running off the end without overflow).
U128 steps_to_free(U128 x, std::span<const IpAddress> used, IpAddress::Family f) {
  auto at = [&](std::size_t i) { return to_int(used[i]); };
  std::size_t j = static_cast<std::size_t>(
      std::lower_bound(used.begin(), used.end(), from_int(x, f)) - used.begin());
  if (j == used.size() || at(j) != x) return 0;
  // First i in [j, n) where used[i] - x > i - j, i.e. the run of x, x+1, ... is broken.
  std::size_t lo = j, hi = used.size();
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    if (at(mid) - x > static_cast<U128>(mid - j))
      hi = mid;
    else
      lo = mid + 1;
  }
  return static_cast<U128>(lo - j);
}

bool is_reserved(const TunnelSubnet& s, U128 v) {
  return std::any_of(s.reserved.begin(), s.reserved.end(), [&](const IpAddress& r) {
    return r.family() == s.subnet.address.family() && to_int(r) == v;
  });
}

}  // namespace

TunnelSubnet TunnelSubnet::from_interface_address(const IpPrefix& address) {
  return TunnelSubnet{address.canonical(), {address.address}};
}

Result<IpAddress> allocate_address(const TunnelSubnet& s, std::span<const IpAddress> used_sorted) {
  const IpAddress::Family f = s.subnet.address.family();
  const HostRange r = host_range(s.subnet);
  // Only the part of the used list inside [first, last] matters.
  auto lo = std::lower_bound(used_sorted.begin(), used_sorted.end(), from_int(r.first, f));
  auto hi = std::upper_bound(lo, used_sorted.end(), from_int(r.last, f));
  std::span<const IpAddress> used(lo, hi);

  U128 candidate = r.first;
  // Each round either returns or steps past one reserved address, so this ends.
  for (std::size_t round = 0; round <= s.reserved.size(); ++round) {
    U128 steps = steps_to_free(candidate, used, f);
    if (steps > r.last - candidate) break;
    candidate += steps;
    if (!is_reserved(s, candidate)) return from_int(candidate, f);
    if (candidate == r.last) break;
    ++candidate;
  }
  return store_failf(StoreErrorKind::kSubnetFull, "no free address left in {}",
                     s.subnet.canonical().to_string());
}

Result<void> validate_requested(const IpAddress& address, const TunnelSubnet& s,
                                std::optional<std::string_view> taken_by) {
  const std::string subnet = s.subnet.canonical().to_string();
  if (!s.subnet.contains(address))
    return store_failf(StoreErrorKind::kInvalid, "{} is outside {}", address.to_string(), subnet);
  const HostRange r = host_range(s.subnet);
  const U128 v = to_int(address);
  if (r.has_special && v == r.network)
    return store_failf(StoreErrorKind::kInvalid, "{} is the {} of {}", address.to_string(),
                       address.is_v4() ? "network address" : "subnet-router anycast address",
                       subnet);
  if (r.has_special && address.is_v4() && v == r.top)
    return store_failf(StoreErrorKind::kInvalid, "{} is the broadcast address of {}",
                       address.to_string(), subnet);
  if (is_reserved(s, v))
    return store_failf(StoreErrorKind::kConflict, "{} is the server's address",
                       address.to_string());
  if (taken_by)
    return store_failf(StoreErrorKind::kConflict, "{} is already taken by peer {}",
                       address.to_string(), *taken_by);
  return {};
}

std::pair<IpAddress, IpAddress> subnet_bounds(const IpPrefix& subnet) {
  const HostRange r = host_range(subnet);
  const IpAddress::Family f = subnet.address.family();
  return {from_int(r.network, f), from_int(r.top, f)};
}

std::uint64_t usable_address_count(const TunnelSubnet& s) {
  const HostRange r = host_range(s.subnet);
  U128 n = r.last - r.first;  // one less than the count, so /0 cannot overflow
  std::vector<U128> reserved;
  for (const IpAddress& a : s.reserved)
    if (a.family() == s.subnet.address.family() && to_int(a) >= r.first && to_int(a) <= r.last)
      reserved.push_back(to_int(a));
  std::sort(reserved.begin(), reserved.end());
  reserved.erase(std::unique(reserved.begin(), reserved.end()), reserved.end());
  constexpr U128 kMax = std::numeric_limits<std::uint64_t>::max();
  if (n >= kMax) return std::numeric_limits<std::uint64_t>::max();
  // n + 1 addresses in the range, of which the (distinct, in-range) reserved ones are not usable.
  return static_cast<std::uint64_t>(n + 1 - reserved.size());
}

}  // namespace wgd::serve
