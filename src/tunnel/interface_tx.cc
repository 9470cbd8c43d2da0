// Interface: the transmit loop, TUN -> UDP.
//
// Per batch: read up to kBatch packets from the TUN (each placed 16 bytes into its buffer, where
// the transport header will go, so it is encrypted in place); under the device lock, route each
// packet and reserve one run of nonces per peer; unlocked, encrypt; send all with sendmmsg;
// under the lock again, account and run the send-side timer rules.
#include <poll.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "tunnel/batch_sink.h"
#include "tunnel/interface.h"
#include "tunnel/system_clock.h"

namespace wgd::tunnel {
namespace {

constexpr std::size_t kBatch = 64;
constexpr std::size_t kHeadroom = wg::kTransportHeaderSize;
// Any packet the TUN can hand us (up to the 64 KiB IP limit), plus header, padding and tag.
constexpr std::size_t kBufferSize = kHeadroom + 65535 + 16 + 16;

struct PeerRun {
  std::uint64_t peer_id;
  std::size_t packets = 0;
  std::optional<wg::Device::SendTicket> ticket;
  std::size_t next = 0;  // nonces handed out so far
  std::size_t bytes = 0;
};

}  // namespace

void Interface::tx_loop() {
  // Buffers are allocated without being zeroed: only the pages packets touch become resident.
  auto storage = std::make_unique_for_overwrite<std::uint8_t[]>(kBatch * kBufferSize);
  auto buf = [&](std::size_t i) { return storage.get() + i * kBufferSize; };
  std::array<std::size_t, kBatch> length{};
  std::array<std::uint64_t, kBatch> peer_of{};
  std::array<std::size_t, kBatch> run_of{};
  std::vector<PeerRun> runs;
  std::vector<OutgoingDatagram> out;
  out.reserve(kBatch);

  while (!stopping_) {
    std::size_t n = 0;
    while (n < kBatch) {
      auto r = tun_.read({buf(n) + kHeadroom, kBufferSize - kHeadroom - 32});
      if (!r) {
        fail_data_plane(r.error());
        return;
      }
      if (*r == 0) break;
      length[n++] = *r;
    }
    if (n == 0) {
      pollfd p[2] = {{tun_.fd(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
      poll(p, 2, -1);
      continue;
    }

    const wg::Now now = clock_now();
    BatchSink sink;
    runs.clear();
    std::size_t mtu;
    {
      std::lock_guard lock(device_mutex_);
      mtu = device_.mtu();
      for (std::size_t i = 0; i < n; ++i) {
        peer_of[i] = device_.route({buf(i) + kHeadroom, length[i]});
        if (!peer_of[i]) continue;
        std::size_t r = 0;
        while (r < runs.size() && runs[r].peer_id != peer_of[i]) ++r;
        if (r == runs.size()) runs.push_back({peer_of[i]});
        ++runs[r].packets;
        run_of[i] = r;
      }
      for (PeerRun& run : runs) run.ticket = device_.prepare_send(now, run.peer_id, run.packets, sink);
      // Without a session the packets wait in the core while it starts a handshake.
      for (std::size_t i = 0; i < n; ++i)
        if (peer_of[i] && !runs[run_of[i]].ticket)
          device_.stage(now, peer_of[i], {buf(i) + kHeadroom, length[i]}, sink);
    }

    out.clear();
    auto bind = bind_.load();
    for (std::size_t i = 0; i < n; ++i) {
      if (!peer_of[i]) continue;
      PeerRun& run = runs[run_of[i]];
      if (!run.ticket) continue;
      const std::size_t size =
          wg::Device::seal(*run.ticket, run.ticket->first_counter + run.next++,
                           {buf(i) + kHeadroom, length[i]}, mtu, {buf(i), kBufferSize});
      run.bytes += size;
      out.push_back({run.ticket->endpoint, {buf(i), size}});
    }
    if (!out.empty() && bind) bind->send(out);

    wg::Nanos deadline;
    {
      std::lock_guard lock(device_mutex_);
      for (const PeerRun& run : runs)
        if (run.ticket) device_.complete_send(now, run.peer_id, run.packets, run.bytes, true, sink);
      deadline = device_.next_deadline();
    }
    flush(sink);
    wake_control_if_needed(deadline);
  }
}

}  // namespace wgd::tunnel
