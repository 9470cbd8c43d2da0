// A NETLINK_ROUTE socket: one request at a time, each answered by an ACK or an error, and dumps.
//
// A netlink socket belongs to the network namespace its thread was in when it was opened, for
// the rest of its life. That is why every operation in src/net/ takes the socket explicitly:
// which namespace is changed is decided in one visible place (and tests open theirs inside the
// namespace they create). A socket is not for concurrent use from several threads.
#pragma once

#include <libmnl/libmnl.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "net/netlink_message.h"
#include "util/error.h"

namespace wgd::net {

// Errors carry the errno the kernel returned in Error::code, so callers can tell "already there"
// from real failures without parsing text.
inline bool is_already_exists(const Error& e) {
  return e.code == EEXIST;
}

class NetlinkSocket {
 public:
  using MessageHandler = std::function<void(const nlmsghdr&)>;

  struct Options {
    bool nonblocking = false;  // for sockets that sit in an event loop (LinkMonitor)
  };

  static Result<NetlinkSocket> open(Options options);
  static Result<NetlinkSocket> open() { return open(Options{}); }

  NetlinkSocket(NetlinkSocket&&) noexcept = default;
  NetlinkSocket& operator=(NetlinkSocket&&) noexcept = default;

  int fd() const;

  // Sends `msg` with NLM_F_ACK and waits for the kernel's answer. Messages carrying data that
  // arrive before the ACK (the reply to a non-dump GET) go to `on_reply`. A failure reads
  // "<what>: <strerror>" plus the kernel's extended-ACK text when it gave one; `what` names the
  // operation and its object ("set MTU 1420 on wg0").
  Result<void> request(NetlinkMessage& msg, std::string_view what,
                       const MessageHandler& on_reply = nullptr);

  // Sends `msg` with NLM_F_DUMP and hands every message of the answer to `on_message`. If the
  // kernel flags the dump as interrupted (the table changed while it was being read), the dump is
  // repeated from the start, after `on_restart` has been called to drop what was collected.
  Result<void> dump(NetlinkMessage& msg, std::string_view what, const MessageHandler& on_message,
                    const std::function<void()>& on_restart);

  // Joins a multicast group (RTNLGRP_LINK, ...) so notifications arrive on this socket.
  Result<void> subscribe(unsigned group);

  // For subscribed, non-blocking sockets: hands every notification queued now to `on_message`
  // and returns without waiting. An overrun (the kernel dropped notifications because we were
  // slow) is reported as an error with code ENOBUFS, after which the caller should re-read state.
  Result<void> receive_pending(const MessageHandler& on_message);

 private:
  struct Closer {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
  };
  NetlinkSocket(mnl_socket* s, std::uint32_t port_id);

  Result<void> send(NetlinkMessage& msg, std::string_view what);
  // One datagram from the kernel into rx_buf_; 0 when `dont_wait` and nothing is queued.
  Result<std::size_t> receive_datagram(bool dont_wait, std::string_view what);
  // Reads answers to the message with sequence number `seq` until the ACK, error or NLMSG_DONE.
  Result<void> receive_answer(std::uint32_t seq, std::string_view what,
                              const MessageHandler& on_message, bool* interrupted);

  std::unique_ptr<mnl_socket, Closer> sock_;
  std::uint32_t port_id_ = 0;
  std::uint32_t next_seq_ = 0;
  std::vector<char> rx_buf_;
};

}  // namespace wgd::net
