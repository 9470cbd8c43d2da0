#include "net/link_monitor.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "net/link.h"

namespace wgd::net {

Result<LinkMonitor> LinkMonitor::watch(int ifindex) {
  std::string what = fmt::format("watch interface ifindex {}", ifindex);
  auto events = NetlinkSocket::open({.nonblocking = true});
  if (!events) return std::unexpected(events.error().context(what));
  if (auto r = events->subscribe(RTNLGRP_LINK); !r) return std::unexpected(r.error().context(what));
  auto queries = NetlinkSocket::open();
  if (!queries) return std::unexpected(queries.error().context(what));
  LinkMonitor m(std::move(*events), std::move(*queries), ifindex);
  auto exists = m.still_exists();
  if (!exists) return std::unexpected(exists.error().context(what));
  m.gone_ = !*exists;
  return m;
}

Result<bool> LinkMonitor::still_exists() {
  auto info = link_get(queries_, LinkRef(ifindex_));
  if (info) return true;
  if (info.error().code == ENODEV) return false;
  return std::unexpected(info.error());
}

Result<bool> LinkMonitor::interface_gone() {
  if (gone_) return true;
  auto r = events_.receive_pending([&](const nlmsghdr& nlh) {
    if (nlh.nlmsg_type != RTM_DELLINK) return;
    const auto* ifi = message_header<ifinfomsg>(nlh);
    // A bridge port leaving its bridge also sends RTM_DELLINK for the port, with family
    // AF_BRIDGE; only the AF_UNSPEC message means the interface itself is gone.
    if (ifi && ifi->ifi_family == AF_UNSPEC && ifi->ifi_index == ifindex_) gone_ = true;
  });
  if (!r) {
    if (r.error().code != ENOBUFS) return std::unexpected(r.error());
    // Notifications were lost: drain what is left and ask the kernel directly.
    (void)events_.receive_pending([](const nlmsghdr&) {});
    auto exists = still_exists();
    if (!exists) return std::unexpected(exists.error());
    gone_ = !*exists;
  }
  return gone_;
}

}  // namespace wgd::net
