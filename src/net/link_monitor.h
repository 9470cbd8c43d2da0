// Noticing that an interface has been deleted (`ip link del wg0`, or moved to another network
// namespace), so `wgd tunnel` can exit the way wireguard-go does when its interface goes away.
//
// Use: create it once the interface exists, poll fd() for POLLIN in the event loop, and call
// interface_gone() whenever it is readable. Like every socket here it watches the network
// namespace its thread was in when it was created.
#pragma once

#include "net/netlink_socket.h"
#include "util/error.h"

namespace wgd::net {

class LinkMonitor {
 public:
  // Subscribes to link notifications, then checks that `ifindex` exists, in that order, so a
  // deletion between the caller's lookup and this call is not missed (it is reported as gone).
  static Result<LinkMonitor> watch(int ifindex);

  int fd() const { return events_.fd(); }  // readable when notifications are queued
  int ifindex() const { return ifindex_; }

  // Reads every queued notification without blocking; true once the interface has been deleted
  // (and from then on). If the kernel dropped notifications because we read too slowly, the
  // interface's existence is checked directly instead of trusting the partial stream.
  Result<bool> interface_gone();

 private:
  LinkMonitor(NetlinkSocket events, NetlinkSocket queries, int ifindex)
      : events_(std::move(events)), queries_(std::move(queries)), ifindex_(ifindex) {}
  Result<bool> still_exists();

  NetlinkSocket events_;   // subscribed to RTNLGRP_LINK, non-blocking
  NetlinkSocket queries_;  // for direct lookups, in the same namespace as events_
  int ifindex_;
  bool gone_ = false;
};

}  // namespace wgd::net
