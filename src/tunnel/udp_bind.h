// The interface's UDP sockets: one IPv4 and one IPv6 socket on the same port (as the kernel
// and wireguard-go do: either family keeps working if the other is unavailable), non-blocking,
// with batched receive (recvmmsg) and send (sendmmsg).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "util/bytes.h"
#include "util/error.h"
#include "util/ip.h"
#include "util/unique_fd.h"

namespace wgd::tunnel {

// Reusable receive buffers for one recvmmsg call.
class ReceiveBatch {
 public:
  ReceiveBatch(std::size_t capacity, std::size_t buffer_size);
  std::size_t capacity() const { return capacity_; }
  std::size_t count = 0;  // filled by UdpBind::receive
  MutableByteSpan buffer(std::size_t i) { return {storage_.data() + i * stride_, stride_}; }
  ByteSpan datagram(std::size_t i) const {
    return {storage_.data() + i * stride_, msgs_[i].msg_len};
  }
  std::uint8_t* data(std::size_t i) { return storage_.data() + i * stride_; }
  std::size_t length(std::size_t i) const { return msgs_[i].msg_len; }
  const Endpoint& source(std::size_t i) const { return sources_[i]; }

 private:
  friend class UdpBind;
  std::size_t capacity_, stride_;
  std::vector<std::uint8_t> storage_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> addrs_;
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
  static Result<std::unique_ptr<UdpBind>> open(std::uint16_t port, std::uint32_t fwmark);

  std::uint16_t port() const { return port_; }
  bool has(Family f) const { return static_cast<bool>(sockets_[f]); }
  int fd(Family f) const { return sockets_[f].get(); }
  Result<void> set_fwmark(std::uint32_t mark);

  // Receives what is waiting on one socket without blocking; batch.count = 0 when nothing is.
  Result<void> receive(Family f, ReceiveBatch& batch);
  // Sends, batching per family; waits for socket buffer space rather than drop. Datagrams to
  // unreachable destinations are dropped silently (UDP has no other answer).
  void send(std::span<const OutgoingDatagram> datagrams);
  // Wakes up and stops every receiver (receive() then reports nothing and the caller's poll sees
  // an error/hang-up condition).
  void shutdown();

 UdpBind() = default;  // use open()

 private:
  void send_family(Family f, std::span<const OutgoingDatagram> datagrams);

  std::array<UniqueFd, 2> sockets_;
  std::uint16_t port_ = 0;
};

}  // namespace wgd::tunnel
