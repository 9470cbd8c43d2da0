// Interface: the receive loops, UDP -> TUN, and the handshake thread.
//
// Per batch: recvmmsg; handshake messages go to the handshake queue; for transport messages,
// under the device lock look up the session of each; unlocked, decrypt in place; under the lock
// again, in arrival order, run the replay window, session confirmation, roaming and the
// allowed-IPs check; then write the packets to the TUN.
#include <poll.h>
#include <spdlog/spdlog.h>

#include "tunnel/batch_sink.h"
#include "tunnel/interface.h"
#include "tunnel/system_clock.h"

namespace wgd::tunnel {
namespace {

constexpr std::size_t kBatch = 64;
constexpr std::size_t kDatagramMax = 65535;

}  // namespace

void Interface::rx_loop(std::shared_ptr<UdpBind> bind, UdpBind::Family family) {
  ReceiveBatch batch(kBatch, kDatagramMax);
  std::vector<std::optional<wg::Device::ReceiveTicket>> tickets(kBatch);
  std::vector<std::optional<std::size_t>> plain(kBatch);
  std::vector<ByteSpan> inner(kBatch);

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

    const wg::Now now = clock_now();
    std::size_t transport = 0;
    {
      std::lock_guard lock(device_mutex_);
      for (std::size_t i = 0; i < batch.count; ++i) {
        tickets[i].reset();
        const ByteSpan d = batch.datagram(i);
        if (wg::message_type(d) == wg::kMessageTransport) {
          tickets[i] = device_.prepare_receive(now, d);
          transport += tickets[i].has_value();
        }
      }
    }
    for (std::size_t i = 0; i < batch.count; ++i) {
      const ByteSpan d = batch.datagram(i);
      if (wg::message_type(d) != wg::kMessageTransport) {
        if (!handshakes_.push(batch.source(i), d)) spdlog::debug("{}: handshake queue full", name());
      }
    }
    if (transport == 0) continue;

    std::uint64_t failed = 0;
    for (std::size_t i = 0; i < batch.count; ++i) {
      plain[i].reset();
      if (!tickets[i]) continue;
      // In place: the plaintext lands where the ciphertext was, 16 bytes into the buffer.
      plain[i] = wg::Device::open(*tickets[i], batch.datagram(i),
                                  {batch.data(i) + wg::kTransportHeaderSize, batch.length(i)});
      failed += !plain[i];
    }

    BatchSink sink;
    wg::Nanos deadline;
    std::size_t deliver = 0;
    {
      std::lock_guard lock(device_mutex_);
      if (failed) device_.count_drop(wg::Drop::kDecryptFailed, failed);
      for (std::size_t i = 0; i < batch.count; ++i) {
        if (!plain[i]) continue;
        auto packet = device_.complete_receive(
            now, *tickets[i], batch.source(i),
            {batch.data(i) + wg::kTransportHeaderSize, *plain[i]}, batch.length(i), sink);
        if (packet && !packet->empty()) inner[deliver++] = *packet;
      }
      deadline = device_.next_deadline();
    }
    for (std::size_t i = 0; i < deliver; ++i) {
      if (auto ok = tun_.write(inner[i]); !ok) {
        fail_data_plane(ok.error());
        return;
      }
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
