// Interface addresses (IPv4 and IPv6): add, delete, list — what `ip address` does.
//
// wg-quick runs `ip -4|-6 address add ADDR dev IF` without `nodad`. Its addresses are usable at
// once anyway because WireGuard interfaces (kernel and TUN alike) are IFF_NOARP, and the kernel
// skips duplicate address detection on IFF_NOARP devices. We set IFA_F_NODAD on IPv6 addresses by
// default so the same holds on any device (a veth in a test, a TUN with other flags): an address
// in the "tentative" state cannot be a source address, which would break the first handshake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/link.h"
#include "net/netlink_socket.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::net {

struct AddressInfo {
  int ifindex = 0;
  IpPrefix prefix;                // the interface's address with its prefix length
  std::optional<IpAddress> peer;  // IPv4 point-to-point peer, when it differs from the address
  std::uint32_t flags = 0;        // IFA_F_* (IFA_F_NODAD, IFA_F_TENTATIVE, IFA_F_PERMANENT, ...)
  std::uint8_t scope = 0;         // RT_SCOPE_*
  std::string label;              // IPv4 label (usually the interface name)

  bool tentative() const;  // IPv6 duplicate address detection still running
};

struct AddressOptions {
  bool skip_dad = true;  // IPv6 only: IFA_F_NODAD (see the note at the top of this file)
};

// Adding an address the interface already has fails with code EEXIST (see is_already_exists()),
// so a caller that wants "ensure" semantics can treat that one error as success.
Result<void> address_add(NetlinkSocket& nl, const LinkRef& link, const IpPrefix& prefix,
                         AddressOptions options = {});
// Removing an address the interface does not have fails with code EADDRNOTAVAIL. Note the
// kernel's rule for IPv4: removing the primary (first) address of a subnet also removes the
// secondary addresses in that subnet, unless net.ipv4.conf.IF.promote_secondaries is 1.
Result<void> address_delete(NetlinkSocket& nl, const LinkRef& link, const IpPrefix& prefix);

struct AddressFilter {
  std::optional<LinkRef> link;              // all interfaces when unset
  std::optional<IpAddress::Family> family;  // both when unset
};
Result<std::vector<AddressInfo>> address_list(NetlinkSocket& nl, const AddressFilter& filter = {});

}  // namespace wgd::net
