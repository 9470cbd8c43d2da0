// Interface: the transmit loop, TUN -> UDP.
//
// Per batch: read packets from the TUN; with offloads a read may be a 64 KiB TCP/UDP
// super-packet, cut here into MTU-sized segments (gso_split) straight into output slots that
// leave 16 bytes in front for the transport header, so encryption happens in place. Under the
// device lock: route each packet and reserve one run of nonces per peer. Unlocked: encrypt.
// Then one sendmmsg, where runs of equal-size datagrams to one endpoint go out as UDP GSO
// messages. Under the lock again: accounting and the send-side timer rules.
#include <poll.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "tunnel/batch_sink.h"
#include "tunnel/gso_split.h"
#include "tunnel/interface.h"
#include "tunnel/system_clock.h"
#include "tunnel/virtio_net_hdr.h"

namespace wgd::tunnel {
namespace {

constexpr std::size_t kSlots = 256;  // enough for a 64 KiB super-packet down to a 256-byte MSS
constexpr std::size_t kHeadroom = wg::kTransportHeaderSize;
constexpr std::size_t kReadBufferSize = kVirtioNetHdrSize + 65535;

struct PeerRun {
  std::uint64_t peer_id;
  std::size_t packets = 0;
  std::optional<wg::Device::SendTicket> ticket;
  std::size_t next = 0;  // nonces handed out so far
  std::size_t bytes = 0;
};

// Output slots: one packet each, headroom for the transport header, tailroom for padding+tag.
class Slots {
 public:
  // Makes every slot hold at least `packet_capacity` bytes of IP packet.
  void ensure(std::size_t packet_capacity) {
    const std::size_t stride = (kHeadroom + packet_capacity + 32 + 63) / 64 * 64;
    if (stride <= stride_) return;
    stride_ = stride;
    storage_ = std::make_unique_for_overwrite<std::uint8_t[]>(kSlots * stride_);
    for (std::size_t i = 0; i < kSlots; ++i) packet_at_[i] = slot(i) + kHeadroom;
  }
  std::uint8_t* slot(std::size_t i) { return storage_.get() + i * stride_; }
  std::size_t stride() const { return stride_; }
  std::size_t packet_capacity() const { return stride_ - kHeadroom - 32; }
  // Where packet i goes (16 bytes into its slot), for gso_split.
  std::span<std::uint8_t* const> packets_from(std::size_t i) {
    return {packet_at_.data() + i, kSlots - i};
  }

 private:
  std::unique_ptr<std::uint8_t[]> storage_;
  std::size_t stride_ = 0;
  std::array<std::uint8_t*, kSlots> packet_at_{};
};

}  // namespace

void Interface::tx_loop() {
  Slots slots;
  auto read_buffer = std::make_unique_for_overwrite<std::uint8_t[]>(kReadBufferSize);
  std::size_t pending = 0;  // a read that did not fit in the last batch, kept for the next
  std::array<std::size_t, kSlots> length{};
  std::array<std::uint64_t, kSlots> peer_of{};
  std::array<std::size_t, kSlots> run_of{};
  std::vector<PeerRun> runs;
  std::vector<OutgoingDatagram> out;
  out.reserve(kSlots);
  const bool vnet = tun_.vnet_hdr();

  while (!stopping_) {
    slots.ensure(std::max<std::size_t>(device_mtu_.load(std::memory_order_relaxed), 1500));
    std::size_t n = 0;
    while (n < kSlots) {
      std::size_t got = pending;
      pending = 0;
      if (got == 0) {
        auto r = tun_.read({read_buffer.get(), kReadBufferSize});
        if (!r) {
          fail_data_plane(r.error());
          return;
        }
        if (*r == 0) break;
        got = *r;
      }
      if (!vnet) {
        if (got > slots.packet_capacity()) continue;  // larger than the MTU: cannot be ours
        std::memcpy(slots.packets_from(n)[0], read_buffer.get(), got);
        length[n++] = got;
        continue;
      }
      if (got < kVirtioNetHdrSize) continue;
      const VirtioNetHdr hdr = VirtioNetHdr::decode(read_buffer.get());
      MutableByteSpan packet(read_buffer.get() + kVirtioNetHdrSize, got - kVirtioNetHdrSize);
      const std::size_t need = gso_segment_count(hdr, packet.size());
      if (need == 0 || need > kSlots) continue;  // malformed, or an absurdly small MSS: drop
      if (n + need > kSlots) {
        pending = got;  // process it first in the next batch
        break;
      }
      auto split = gso_split(hdr, packet, slots.packets_from(n), {length.data() + n, kSlots - n},
                             slots.packet_capacity());
      if (!split) {
        spdlog::debug("{}: dropping a packet from the TUN: {}", name(), split.error().message);
        continue;
      }
      n += *split;
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
        peer_of[i] = device_.route({slots.slot(i) + kHeadroom, length[i]});
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
          device_.stage(now, peer_of[i], {slots.slot(i) + kHeadroom, length[i]}, sink);
    }

    out.clear();
    for (std::size_t i = 0; i < n; ++i) {
      if (!peer_of[i]) continue;
      PeerRun& run = runs[run_of[i]];
      if (!run.ticket) continue;
      const std::size_t size =
          wg::Device::seal(*run.ticket, run.ticket->first_counter + run.next++,
                           {slots.slot(i) + kHeadroom, length[i]}, mtu, {slots.slot(i), slots.stride()});
      run.bytes += size;
      out.push_back({run.ticket->endpoint, {slots.slot(i), size}});
    }
    if (auto bind = bind_.load(); bind && !out.empty()) bind->send(out);

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
