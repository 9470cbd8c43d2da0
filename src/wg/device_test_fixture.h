// Two protocol cores wired back to back on a fake clock: what one emits, the other receives.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "crypto/x25519.h"
#include "wg/device.h"
#include "wg/test_support.h"

namespace wgd::wg::test {

class DevicePair : public ::testing::Test {
 protected:
  void SetUp() override { build(TimerSettings{}); }

  void build(const TimerSettings& timers) {
    DeviceOptions opts;
    opts.timers = timers;
    a = std::make_unique<Device>(rng_a, opts);
    b = std::make_unique<Device>(rng_b, opts);
    key_a = key_from(rng_a);
    key_b = key_from(rng_b);
    pub_a = crypto::x25519_public(key_a);
    pub_b = crypto::x25519_public(key_b);
    ASSERT_TRUE(a->apply(config(key_a, pub_b, ep_b, {"10.0.0.2/32", "fd00::2/128"}), now, out_a));
    ASSERT_TRUE(b->apply(config(key_b, pub_a, ep_a, {"10.0.0.1/32", "fd00::1/128"}), now, out_b));
  }

  static crypto::PrivateKey key_from(Rng& rng) {
    crypto::PrivateKey k;
    rng.fill(k.span());
    crypto::x25519_clamp(k);
    return k;
  }

  static DeviceChange config(const crypto::PrivateKey& ours, const crypto::PublicKey& theirs,
                             std::optional<Endpoint> endpoint, std::vector<std::string> allowed) {
    DeviceChange c;
    c.private_key = ours.clone();
    c.listen_port = 51820;
    PeerChange p;
    p.public_key = theirs;
    p.endpoint = endpoint;
    for (const auto& s : allowed) p.allowed_ips.push_back(*IpPrefix::parse(s));
    c.peers.push_back(std::move(p));
    return c;
  }

  void advance(Nanos d) {
    now.mono += d;
    now.wall += d;
  }

  // Delivers everything each side has emitted to the other, until nothing moves.
  // Returns the number of datagrams moved in each direction.
  std::pair<int, int> pump(bool lose_a_to_b = false, bool lose_b_to_a = false) {
    int ab = 0, ba = 0;
    for (int round = 0; round < 100; ++round) {
      auto from_a = out_a.take_sent();
      auto from_b = out_b.take_sent();
      if (from_a.empty() && from_b.empty()) break;
      for (auto& d : from_a) {
        ++ab;
        if (!lose_a_to_b) b->receive(now, ep_a, d.bytes, under_load_b, out_b);
      }
      for (auto& d : from_b) {
        ++ba;
        if (!lose_b_to_a) a->receive(now, ep_b, d.bytes, false, out_a);
      }
    }
    return {ab, ba};
  }

  void tick_both() {
    a->tick(now, out_a);
    b->tick(now, out_b);
  }

  // Runs the clock forward in steps, ticking both, pumping between them.
  void run_for(Nanos duration, Nanos step = 100 * kMillisecond, bool lose_a_to_b = false,
               bool lose_b_to_a = false) {
    for (Nanos t = 0; t < duration; t += step) {
      advance(step);
      tick_both();
      pump(lose_a_to_b, lose_b_to_a);
    }
  }

  // Establishes a session with a initiating, and returns with both sides confirmed.
  void handshake_a_first() {
    a->send(now, a_to_b(64), out_a);
    pump();
    ASSERT_EQ(out_b.take_delivered().size(), 1u);
    ASSERT_TRUE(a->find_peer(pub_b)->sessions.current);
    ASSERT_TRUE(b->find_peer(pub_a)->sessions.current);
  }

  Bytes a_to_b(std::size_t payload) { return ipv4_packet("10.0.0.1", "10.0.0.2", payload); }
  Bytes b_to_a(std::size_t payload) { return ipv4_packet("10.0.0.2", "10.0.0.1", payload); }

  static int count_type(const std::vector<Datagram>& ds, std::uint32_t type) {
    int n = 0;
    for (const auto& d : ds) n += message_type(d.bytes) == type;
    return n;
  }

  DeterministicRng rng_a{1}, rng_b{2};
  std::unique_ptr<Device> a, b;
  CaptureSink out_a, out_b;
  crypto::PrivateKey key_a, key_b;
  crypto::PublicKey pub_a{}, pub_b{};
  Endpoint ep_a = *Endpoint::parse("192.0.2.1:51820");
  Endpoint ep_b = *Endpoint::parse("192.0.2.2:51820");
  Now now{1000 * kSecond, 1700000000LL * kSecond};
  bool under_load_b = false;
};

}  // namespace wgd::wg::test
