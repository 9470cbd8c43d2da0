// The interface's UDP sockets: one IPv4 and one IPv6 socket on the same port (as the kernel
// and wireguard-go do: either family keeps working if the other is unavailable), non-blocking,
// batched both ways: recvmmsg with UDP GRO (the kernel hands over runs of equal-size datagrams
// from one sender in one buffer) and sendmmsg with UDP GSO (one message carries a run of
// equal-size datagrams to one destination, cut by the kernel). Either offload falls back to
// one datagram per message where the kernel refuses it.
#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "util/bytes.h"
#include "util/error.h"
#include "util/ip.h"
#include "util/unique_fd.h"

namespace wgd::tunnel {

// Reusable receive buffers for one recvmmsg call. A message may hold several datagrams
// (GRO): they are `segment_size(i)` bytes each, the last possibly shorter.
class ReceiveBatch {
 public:
  ReceiveBatch(std::size_t capacity, std::size_t buffer_size);
  std::size_t capacity() const { return capacity_; }
  std::size_t count = 0;  // messages filled by UdpBind::receive
  std::uint8_t* data(std::size_t i) { return storage_.get() + i * stride_; }
  std::size_t length(std::size_t i) const { return msgs_[i].msg_len; }
  // The datagram size of a GRO message; its whole length when it is one datagram.
  std::size_t segment_size(std::size_t i) const { return segment_[i] ? segment_[i] : length(i); }
  const Endpoint& source(std::size_t i) const { return sources_[i]; }

 private:
  friend class UdpBind;
  std::size_t capacity_, stride_;
  std::unique_ptr<std::uint8_t[]> storage_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> addrs_;
  std::vector<std::array<std::uint8_t, 64>> control_;
  std::vector<std::size_t> segment_;
  std::vector<Endpoint> sources_;
};

// One datagram to send; the bytes must stay valid until send() returns.
struct OutgoingDatagram {
  Endpoint to;
  ByteSpan bytes;
};

class UdpBind {
 public:
  enum Family { kV4 = 0, kV6 = 1 };

  // Binds both families to `port` (0 picks a free port, the same for both). A family the host
  // does not support is skipped; failing to bind any is an error (EADDRINUSE when taken).
  static Result<std::unique_ptr<UdpBind>> open(std::uint16_t port, std::uint32_t fwmark,
                                               bool offloads = true);
  UdpBind() = default;  // use open()

  std::uint16_t port() const { return port_; }
  bool has(Family f) const { return static_cast<bool>(sockets_[f]); }
  int fd(Family f) const { return sockets_[f].get(); }
  bool gro(Family f) const { return gro_[f]; }
  bool gso() const { return gso_.load(std::memory_order_relaxed); }
  Result<void> set_fwmark(std::uint32_t mark);

  // Receives what is waiting on one socket without blocking; batch.count = 0 when nothing is.
  Result<void> receive(Family f, ReceiveBatch& batch);
  // Sends, batching per family and grouping runs of equal-size datagrams to one destination
  // into GSO messages; waits for socket buffer space rather than drop. Datagrams to
  // unreachable destinations are dropped silently (UDP has no other answer).
  void send(std::span<const OutgoingDatagram> datagrams);
  // Wakes up and stops every receiver.
  void shutdown();

 private:
  void send_family(Family f, std::span<const OutgoingDatagram> datagrams);

  std::array<UniqueFd, 2> sockets_;
  std::array<bool, 2> gro_{false, false};
  std::atomic<bool> gso_{false};
  std::uint16_t port_ = 0;
};

}  // namespace wgd::tunnel
