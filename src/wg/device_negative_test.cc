// What must not work: replays, old or reordered-beyond-window packets, truncated and garbage
// messages, wrong keys, spoofed inner sources. None of them may produce a reply.
#include "wg/device_test_fixture.h"

namespace wgd::wg::test {
namespace {

class Negative : public DevicePair {
 protected:
  // b must neither answer nor deliver anything.
  void expect_b_silent() {
    EXPECT_TRUE(out_b.sent.empty()) << out_b.sent.size() << " datagrams sent";
    EXPECT_TRUE(out_b.delivered.empty());
  }

  // A fresh, complete set of a's messages: an initiation, and (after the handshake) data.
  std::vector<Bytes> capture_traffic() {
    std::vector<Bytes> all;
    a->send(now, a_to_b(50), out_a);
    for (auto& d : out_a.sent) all.push_back(d.bytes);
    pump();
    out_b.take_delivered();
    a->send(now, a_to_b(50), out_a);
    for (auto& d : out_a.sent) all.push_back(d.bytes);
    pump();
    out_b.take_delivered();
    out_a.take_sent();
    out_b.take_sent();
    return all;
  }
};

TEST_F(Negative, ReplayedTransportIsDroppedSilently) {
  handshake_a_first();
  a->send(now, a_to_b(10), out_a);
  auto d = out_a.take_sent();
  b->receive(now, ep_a, d[0].bytes, false, out_b);
  ASSERT_EQ(out_b.take_delivered().size(), 1u);
  out_b.take_sent();
  b->receive(now, ep_a, d[0].bytes, false, out_b);
  expect_b_silent();
  EXPECT_EQ(b->drops(Drop::kReplayedCounter), 1u);
}

TEST_F(Negative, ReorderedWithinTheWindowIsFineBeyondItDropped) {
  handshake_a_first();
  std::vector<Bytes> held;
  for (int i = 0; i < 9000; ++i) {
    a->send(now, a_to_b(1), out_a);
    held.push_back(out_a.take_sent()[0].bytes);
  }
  // Deliver 100..8999 first, then 99 (8900 behind: inside the 8128 window? no) and 8000.
  for (int i = 100; i < 9000; ++i) b->receive(now, ep_a, held[i], false, out_b);
  EXPECT_EQ(out_b.take_delivered().size(), 8900u);
  out_b.take_sent();
  b->receive(now, ep_a, held[8000], false, out_b);  // duplicate
  b->receive(now, ep_a, held[50], false, out_b);    // 8950 behind the front: too old
  expect_b_silent();
  EXPECT_EQ(b->drops(Drop::kReplayedCounter), 2u);
  b->receive(now, ep_a, held[99 + 900], false, out_b);  // already delivered: duplicate
  EXPECT_EQ(b->drops(Drop::kReplayedCounter), 3u);
}

TEST_F(Negative, ReorderedInsideTheWindowIsDelivered) {
  handshake_a_first();
  std::vector<Bytes> held;
  for (int i = 0; i < 2048; ++i) {
    a->send(now, a_to_b(1), out_a);
    held.push_back(out_a.take_sent()[0].bytes);
  }
  for (int i = 2047; i >= 0; --i) b->receive(now, ep_a, held[i], false, out_b);
  EXPECT_EQ(out_b.take_delivered().size(), 2048u);
}

TEST_F(Negative, TruncatedAndExtendedMessagesAreDropped) {
  const auto traffic = capture_traffic();
  ASSERT_GE(traffic.size(), 2u);
  for (const Bytes& m : traffic) {
    for (std::size_t cut : {std::size_t{1}, std::size_t{16}, m.size() - 4}) {
      if (cut >= m.size()) continue;
      b->receive(now, ep_a, ByteSpan(m).first(m.size() - cut), false, out_b);
    }
    Bytes longer = m;
    longer.push_back(0);
    if (message_type(m) != kMessageTransport) b->receive(now, ep_a, longer, false, out_b);
  }
  expect_b_silent();
}

TEST_F(Negative, GarbageGetsNoReply) {
  handshake_a_first();
  out_b.take_sent();
  DeterministicRng garbage(99);
  for (int i = 0; i < 10000; ++i) {
    Bytes d(garbage.below(200));
    garbage.fill(d);
    // Make many of them look like real message types and sizes, so every path is exercised.
    if (!d.empty() && i % 2 == 0) {
      static const std::size_t sizes[] = {148, 92, 64, 32, 48, 1440};
      d.resize(sizes[i / 2 % 6]);
      garbage.fill(d);
      store_le32(d.data(), 1 + (i / 2) % 4);
    }
    b->receive(now, ep_a, d, false, out_b);
    b->receive(now, ep_a, d, true, out_b);  // under load too: no valid mac1, so no cookie
  }
  expect_b_silent();
}

TEST_F(Negative, TamperedTransportFailsDecryption) {
  handshake_a_first();
  a->send(now, a_to_b(10), out_a);
  Bytes d = out_a.take_sent()[0].bytes;
  d[d.size() - 1] ^= 0x01;
  b->receive(now, ep_a, d, false, out_b);
  expect_b_silent();
  EXPECT_EQ(b->drops(Drop::kDecryptFailed), 1u);
}

TEST_F(Negative, UnknownPublicKeyGetsNoResponse) {
  // c knows b's public key (so its mac1 is valid) but b does not know c.
  DeterministicRng rng_c(3);
  Device c(rng_c);
  CaptureSink out_c;
  const crypto::PrivateKey key_c = key_from(rng_c);
  ASSERT_TRUE(c.apply(config(key_c, pub_b, ep_b, {"10.0.0.2/32"}), now, out_c));
  c.send(now, a_to_b(10), out_c);
  auto init = out_c.take_sent();
  ASSERT_EQ(init.size(), 1u);
  b->receive(now, ep_a, init[0].bytes, false, out_b);
  expect_b_silent();
  EXPECT_EQ(b->drops(Drop::kUnknownPeer), 1u);
}

TEST_F(Negative, InitiationForAnotherResponderFailsMac1) {
  DeterministicRng rng_c(4);
  Device c(rng_c);
  CaptureSink out_c;
  crypto::PublicKey someone_else = pub_a;  // c thinks it talks to a, but sends to b
  ASSERT_TRUE(c.apply(config(key_from(rng_c), someone_else, ep_b, {"10.0.0.2/32"}), now, out_c));
  c.send(now, a_to_b(10), out_c);
  b->receive(now, ep_a, out_c.take_sent()[0].bytes, false, out_b);
  expect_b_silent();
  EXPECT_EQ(b->drops(Drop::kBadMac1), 1u);
}

TEST_F(Negative, WrongPresharedKeyNeverCompletes) {
  DeviceChange ca, cb;
  PeerChange pa, pb;
  pa.public_key = pub_b;
  pa.preshared_key = crypto::PresharedKey{};
  pa.preshared_key->data()[0] = 1;
  pb.public_key = pub_a;
  pb.preshared_key = crypto::PresharedKey{};
  pb.preshared_key->data()[0] = 2;
  ca.peers.push_back(std::move(pa));
  cb.peers.push_back(std::move(pb));
  ASSERT_TRUE(a->apply(ca, now, out_a));
  ASSERT_TRUE(b->apply(cb, now, out_b));
  a->send(now, a_to_b(10), out_a);
  // The responder cannot tell a wrong psk (it is mixed in only by its own response), so it
  // answers; the initiator rejects that response and sends nothing back.
  pump();
  EXPECT_EQ(a->drops(Drop::kHandshakeInvalid), 1u);
  EXPECT_FALSE(a->find_peer(pub_b)->sessions.current);
  EXPECT_TRUE(out_b.delivered.empty());
  run_for(30 * kSecond);
  EXPECT_TRUE(out_b.delivered.empty());
  EXPECT_FALSE(a->find_peer(pub_b)->sessions.current);
}

TEST_F(Negative, InnerSourceMustBeInTheSendersAllowedIps) {
  handshake_a_first();
  a->send(now, ipv4_packet("10.0.0.99", "10.0.0.2", 10), out_a);  // spoofed source
  pump();
  EXPECT_TRUE(out_b.delivered.empty());
  EXPECT_EQ(b->drops(Drop::kSourceNotAllowed), 1u);
  a->send(now, ipv6_packet("fd00::1", "fd00::2", 0), out_a);  // allowed
  pump();
  EXPECT_EQ(out_b.take_delivered().size(), 1u);
}

TEST_F(Negative, ReplayedInitiationIsIgnored) {
  a->send(now, a_to_b(10), out_a);
  const Bytes init = out_a.take_sent()[0].bytes;
  b->receive(now, ep_a, init, false, out_b);
  ASSERT_EQ(count_type(out_b.take_sent(), kMessageResponse), 1);
  advance(kSecond);
  b->receive(now, ep_a, init, false, out_b);
  expect_b_silent();
  EXPECT_EQ(b->drops(Drop::kReplayedHandshake), 1u);
}

TEST_F(Negative, InitiationFloodIsRateLimited) {
  // Two distinct initiations from the same key 10 ms apart on b's clock (the second carries a
  // later timestamp, so only the flood rule can stop it).
  DeterministicRng rng_a2(11);
  Device a2(rng_a2);
  CaptureSink out_a2;
  ASSERT_TRUE(a2.apply(config(key_a, pub_b, ep_b, {"10.0.0.2/32"}), now, out_a2));
  a->send(now, a_to_b(10), out_a);
  b->receive(now, ep_a, out_a.take_sent()[0].bytes, false, out_b);
  ASSERT_EQ(out_b.take_sent().size(), 1u);
  Now later{now.mono + 10 * kMillisecond, now.wall + kSecond};
  a2.send(later, a_to_b(10), out_a2);
  b->receive(later, ep_a, out_a2.take_sent()[0].bytes, false, out_b);
  expect_b_silent();
  EXPECT_EQ(b->drops(Drop::kReplayedHandshake), 1u);
  Now much_later{now.mono + 30 * kMillisecond, now.wall + 2 * kSecond};
  a2.stage(much_later, a2.route(a_to_b(1)), a_to_b(1), out_a2);  // rate limited at a2: nothing
  EXPECT_TRUE(out_a2.sent.empty());
}

TEST_F(Negative, ResponseToNoInitiationIsDropped) {
  a->send(now, a_to_b(10), out_a);
  b->receive(now, ep_a, out_a.take_sent()[0].bytes, false, out_b);
  const Bytes resp = out_b.take_sent()[0].bytes;
  a->receive(now, ep_b, resp, false, out_a);
  out_a.take_sent();
  a->receive(now, ep_b, resp, false, out_a);  // the handshake it answered is gone now
  EXPECT_TRUE(out_a.sent.empty());
  EXPECT_EQ(a->drops(Drop::kUnknownIndex), 1u);
}

}  // namespace
}  // namespace wgd::wg::test
