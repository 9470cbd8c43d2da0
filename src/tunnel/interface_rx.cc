// Interface: the receive loops, UDP -> TUN, and the handshake thread.
//
// Per batch: recvmmsg (with UDP GRO a message may hold a run of datagrams from one sender);
// handshake messages go to the handshake queue; for transport messages, under the device lock
// look up the session of each; unlocked, decrypt in place; under the lock again, in arrival
// order, run the replay window, session confirmation, roaming and the allowed-IPs check. Then,
// with offloads, consecutive TCP segments (and, where the TUN took USO, UDP datagrams) of a flow
// are merged into one super-packet per TUN write (the local stack's receive cost is per packet,
// not per byte; gro_coalescer.h).
#include <poll.h>
#include <spdlog/spdlog.h>

#include "tunnel/batch_sink.h"
#include "tunnel/gro_coalescer.h"
#include "tunnel/interface.h"
#include "tunnel/system_clock.h"

namespace wgd::tunnel {
namespace {

constexpr std::size_t kMessages = 32;
constexpr std::size_t kMessageSize = 65535;

struct Datagram {
  std::uint8_t* data;
  std::size_t length;
  std::size_t message;  // which message (for the source address)
  std::optional<wg::Device::ReceiveTicket> ticket;
  std::optional<std::size_t> plain;
};

}  // namespace

void Interface::rx_loop(std::shared_ptr<UdpBind> bind, UdpBind::Family family) {
  ReceiveBatch batch(kMessages, kMessageSize);
  std::vector<Datagram> datagrams;
  datagrams.reserve(kMessages * 8);
  const bool vnet = tun_.vnet_hdr();
  GroCoalescer coalescer(
      vnet ? GroCoalescer::Merge{true, tun_.udp_segmentation(false), tun_.udp_segmentation(true)}
           : GroCoalescer::kNothing);

  while (!stopping_) {
    if (auto ok = bind->receive(family, batch); !ok) {
      if (stopping_ || bind != bind_.load()) return;  // shut down or replaced
      fail_data_plane(ok.error());
      return;
    }
    if (batch.count == 0) {
      pollfd p[2] = {{bind->fd(family), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
      poll(p, 2, -1);
      // A shut-down socket polls as readable/hung up forever: that is our signal to leave.
      if ((p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) || stopping_) return;
      continue;
    }

    datagrams.clear();
    for (std::size_t m = 0; m < batch.count; ++m) {
      const std::size_t seg = batch.segment_size(m);
      for (std::size_t at = 0; at < batch.length(m); at += seg) {
        const std::size_t len = std::min(seg, batch.length(m) - at);
        const ByteSpan d(batch.data(m) + at, len);
        if (wg::message_type(d) == wg::kMessageTransport) {
          datagrams.push_back({batch.data(m) + at, len, m, std::nullopt, std::nullopt});
        } else if (!handshakes_.push(batch.source(m), d)) {
          spdlog::debug("{}: handshake queue full", name());
        }
      }
    }
    if (datagrams.empty()) continue;

    const wg::Now now = clock_now();
    {
      std::lock_guard lock(device_mutex_);
      for (Datagram& d : datagrams) d.ticket = device_.prepare_receive(now, {d.data, d.length});
    }
    std::uint64_t failed = 0;
    for (Datagram& d : datagrams) {
      if (!d.ticket) continue;
      // In place: the plaintext lands where the ciphertext was, 16 bytes into the datagram.
      d.plain = wg::Device::open(*d.ticket, {d.data, d.length},
                                 {d.data + wg::kTransportHeaderSize, d.length});
      failed += !d.plain;
    }

    BatchSink sink;
    wg::Nanos deadline;
    {
      std::lock_guard lock(device_mutex_);
      if (failed) device_.count_drop(wg::Drop::kDecryptFailed, failed);
      for (Datagram& d : datagrams) {
        if (!d.plain) continue;
        auto packet =
            device_.complete_receive(now, *d.ticket, batch.source(d.message),
                                     {d.data + wg::kTransportHeaderSize, *d.plain}, d.length, sink);
        // The packet sits in our receive buffer: writable, so a merge may rewrite its headers.
        if (packet && !packet->empty())
          coalescer.add({const_cast<std::uint8_t*>(packet->data()), packet->size()});
      }
      deadline = device_.next_deadline();
    }
    Result<void> written;
    coalescer.flush([&](std::span<const ByteSpan> pieces) {
      if (!written) return;
      // Without virtio headers nothing is merged: pieces are the header and one packet.
      written = vnet ? tun_.write(pieces) : tun_.write(pieces[1]);
    });
    if (!written) {
      fail_data_plane(written.error());
      return;
    }
    flush(sink);
    wake_control_if_needed(deadline);
  }
}

void Interface::handshake_loop() {
  // Under load, every handshake must prove its source address with a cookie (mac2); the state
  // lasts a second after the backlog clears, as in wireguard-go, so floods do not flap it.
  wg::Nanos under_load_until = 0;
  for (;;) {
    std::size_t backlog = 0;
    auto item = handshakes_.pop(backlog);
    if (!item) return;
    const wg::Now now = clock_now();
    if (backlog >= HandshakeQueue::kLoadThreshold) under_load_until = now.mono + wg::kSecond;
    const bool under_load = now.mono < under_load_until;
    BatchSink sink;
    wg::Nanos deadline;
    {
      std::lock_guard lock(device_mutex_);
      device_.receive_handshake(now, item->from, item->datagram, under_load, sink);
      deadline = device_.next_deadline();
    }
    flush(sink);
    wake_control_if_needed(deadline);
  }
}

}  // namespace wgd::tunnel
