// Collects what the protocol core emits while the device lock is held, so that the I/O happens
// after the lock is released: the core's spans are only valid during its call, hence the copies
// (this path carries handshakes, keepalives and staged packets, not the bulk of the data).
#pragma once

#include <utility>
#include <vector>

#include "tunnel/tun_device.h"
#include "tunnel/udp_bind.h"
#include "wg/device.h"

namespace wgd::tunnel {

class BatchSink final : public wg::Sink {
 public:
  void send(const Endpoint& to, ByteSpan d) override {
    sends_.emplace_back(to, Bytes(d.begin(), d.end()));
  }
  void deliver(ByteSpan p) override { deliveries_.emplace_back(p.begin(), p.end()); }
  bool empty() const { return sends_.empty() && deliveries_.empty(); }

  // Sends and writes everything collected, then forgets it.
  void flush(UdpBind* bind, TunDevice& tun) {
    if (bind && !sends_.empty()) {
      std::vector<OutgoingDatagram> out;
      out.reserve(sends_.size());
      for (const auto& [to, bytes] : sends_) out.push_back({to, bytes});
      bind->send(out);
    }
    for (const Bytes& p : deliveries_) (void)tun.write(p);  // a failing TUN is noticed elsewhere
    sends_.clear();
    deliveries_.clear();
  }

 private:
  std::vector<std::pair<Endpoint, Bytes>> sends_;
  std::vector<Bytes> deliveries_;
};

}  // namespace wgd::tunnel
