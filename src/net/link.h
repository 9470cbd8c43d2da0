// Network interfaces (links): look up, list, bring up/down, set the MTU, delete — what
// `ip link` does, over rtnetlink.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "net/netlink_socket.h"
#include "util/error.h"

namespace wgd::net {

// An interface named by index or by name. Operations accept either so that an error names the
// interface the way the caller did ("wg0: No such device", not "index 0").
class LinkRef {
 public:
  LinkRef(int index) : id_(index) {}  // NOLINT: implicit on purpose, like the kernel's two keys
  LinkRef(std::string_view name) : id_(std::string(name)) {}  // NOLINT
  LinkRef(const char* name) : id_(std::string(name)) {}       // NOLINT
  LinkRef(const std::string& name) : id_(name) {}             // NOLINT

  bool by_index() const { return std::holds_alternative<int>(id_); }
  int index() const { return by_index() ? std::get<int>(id_) : 0; }
  const std::string& name() const;  // empty when by index
  std::string describe() const;     // "wg0" or "ifindex 7"

 private:
  std::variant<int, std::string> id_;
};

struct LinkInfo {
  int index = 0;
  std::string name;
  std::uint32_t mtu = 0;
  std::uint32_t flags = 0;  // IFF_* as the kernel reports them
  bool up = false;          // IFF_UP: administratively up
  bool running = false;     // IFF_RUNNING: up and carrier present
  std::string kind;         // IFLA_INFO_KIND ("veth", "wireguard", "tun"); empty if none
};

Result<LinkInfo> link_get(NetlinkSocket& nl, const LinkRef& link);
Result<int> link_index(NetlinkSocket& nl, std::string_view name);
// The index of `link` for messages that need one (addresses, routes); a failed lookup reads
// "<what>: No such device" so the error names the operation and the interface once.
Result<int> resolve_link_index(NetlinkSocket& nl, const LinkRef& link, std::string_view what);
Result<std::vector<LinkInfo>> link_list(NetlinkSocket& nl);

Result<void> link_set_up(NetlinkSocket& nl, const LinkRef& link, bool up);
// The kernel checks the range per device (e.g. 68..65535 for veth, at least 1280 for IPv6 to
// stay enabled); an MTU out of range fails with EINVAL and the kernel's reason.
Result<void> link_set_mtu(NetlinkSocket& nl, const LinkRef& link, std::uint32_t mtu);
Result<void> link_delete(NetlinkSocket& nl, const LinkRef& link);

// Parses an RTM_NEWLINK/RTM_DELLINK message (also used by LinkMonitor); nullopt if malformed.
std::optional<LinkInfo> parse_link_message(const nlmsghdr& nlh);

}  // namespace wgd::net
