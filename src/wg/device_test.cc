// The protocol core end to end: two devices, handshakes in both roles, data, configuration.
#include "wg/device_test_fixture.h"

namespace wgd::wg::test {
namespace {

TEST_F(DevicePair, HandshakeThenDataWithAInitiating) {
  const Bytes p = a_to_b(100);
  a->send(now, p, out_a);
  auto first = out_a.take_sent();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].bytes.size(), kInitiationSize);
  EXPECT_EQ(first[0].to, ep_b);
  b->receive(now, ep_a, first[0].bytes, false, out_b);
  auto resp = out_b.take_sent();
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_EQ(resp[0].bytes.size(), kResponseSize);
  // The responder holds an unconfirmed session and may not send with it yet.
  EXPECT_TRUE(b->find_peer(pub_a)->sessions.next);
  EXPECT_FALSE(b->find_peer(pub_a)->sessions.current);

  a->receive(now, ep_b, resp[0].bytes, false, out_a);
  auto data = out_a.take_sent();
  ASSERT_EQ(data.size(), 1u);  // the staged packet, no separate keepalive
  EXPECT_EQ(data[0].bytes.size(), transport_size(padded_length(p.size(), 1420)));
  b->receive(now, ep_a, data[0].bytes, false, out_b);
  auto got = out_b.take_delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], p);
  EXPECT_TRUE(b->find_peer(pub_a)->sessions.current);  // confirmed by the first data packet

  const Bytes back = b_to_a(1300);
  b->send(now, back, out_b);
  pump();
  auto got_a = out_a.take_delivered();
  ASSERT_EQ(got_a.size(), 1u);
  EXPECT_EQ(got_a[0], back);
}

TEST_F(DevicePair, HandshakeThenDataWithBInitiating) {
  const Bytes p = b_to_a(10);
  b->send(now, p, out_b);
  pump();
  auto got = out_a.take_delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], p);
  EXPECT_TRUE(b->find_peer(pub_a)->sessions.current->initiator);
  EXPECT_FALSE(a->find_peer(pub_b)->sessions.current->initiator);
  a->send(now, a_to_b(10), out_a);
  pump();
  EXPECT_EQ(out_b.take_delivered().size(), 1u);
}

TEST_F(DevicePair, Ipv6InsideAndManyPackets) {
  handshake_a_first();
  for (int i = 0; i < 1000; ++i) {
    const Bytes p = ipv6_packet("fd00::1", "fd00::2", static_cast<std::size_t>(i % 1380));
    a->send(now, p, out_a);
    pump();
    auto got = out_b.take_delivered();
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0], p);
  }
}

TEST_F(DevicePair, InitiatorWithoutDataConfirmsWithAKeepalive) {
  DeviceChange c;
  PeerChange p;
  p.public_key = pub_b;
  p.persistent_keepalive = 25;  // turning it on sends a keepalive at once, which needs a session
  c.peers.push_back(std::move(p));
  ASSERT_TRUE(a->apply(c, now, out_a));
  EXPECT_EQ(count_type(out_a.sent, kMessageInitiation), 1);
  pump();
  EXPECT_TRUE(b->find_peer(pub_a)->sessions.current);
  EXPECT_TRUE(out_b.take_delivered().empty());  // keepalives are not delivered
}

TEST_F(DevicePair, ResponderStagesUntilConfirmedAndDoesNotReinitiateAtOnce) {
  a->send(now, a_to_b(10), out_a);
  auto init = out_a.take_sent();
  b->receive(now, ep_a, init[0].bytes, false, out_b);
  out_b.take_sent();  // the response is lost
  b->send(now, b_to_a(10), out_b);
  // Only the unconfirmed `next` session exists: the packet waits, and the response just sent
  // counts as a handshake for the REKEY_TIMEOUT rate limit.
  EXPECT_TRUE(out_b.take_sent().empty());
  EXPECT_EQ(b->find_peer(pub_a)->staged.size(), 1u);
}

TEST_F(DevicePair, RoamingFollowsTheLatestAuthenticatedSource) {
  handshake_a_first();
  const Endpoint moved = *Endpoint::parse("[2001:db8::7]:40000");
  a->send(now, a_to_b(10), out_a);
  auto d = out_a.take_sent();
  b->receive(now, moved, d[0].bytes, false, out_b);
  ASSERT_EQ(out_b.take_delivered().size(), 1u);
  EXPECT_EQ(b->status().peers[0].endpoint, moved);
  b->send(now, b_to_a(10), out_b);
  auto reply = out_b.take_sent();
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].to, moved);
  // Unauthenticated traffic from elsewhere does not move it.
  Bytes junk = d[0].bytes;
  junk[40] ^= 1;
  b->receive(now, ep_a, junk, false, out_b);
  EXPECT_EQ(b->status().peers[0].endpoint, moved);
}

TEST_F(DevicePair, StatusReportsTransferHandshakeAndConfiguration) {
  handshake_a_first();
  const DeviceStatus sa = a->status();
  ASSERT_EQ(sa.peers.size(), 1u);
  EXPECT_EQ(sa.listen_port, 51820);
  EXPECT_EQ(sa.public_key, pub_a);
  const PeerStatus& p = sa.peers[0];
  EXPECT_EQ(p.public_key, pub_b);
  EXPECT_EQ(p.endpoint, ep_b);
  ASSERT_EQ(p.allowed_ips.size(), 2u);
  EXPECT_EQ(p.allowed_ips[0].to_string(), "10.0.0.2/32");
  EXPECT_EQ(p.allowed_ips[1].to_string(), "fd00::2/128");
  EXPECT_EQ(p.last_handshake_sec, now.wall / kSecond);
  // a sent an initiation (148) and one data packet (64+20 payload -> 96 padded + 32).
  EXPECT_EQ(p.tx_bytes, 148u + transport_size(96));
  EXPECT_EQ(p.rx_bytes, kResponseSize);
  const DeviceStatus sb = b->status();  // kept: q refers into it
  const PeerStatus& q = sb.peers[0];
  EXPECT_EQ(q.rx_bytes, 148u + transport_size(96));
  EXPECT_EQ(q.tx_bytes, kResponseSize);
}

TEST_F(DevicePair, PacketsToUnknownDestinationsAreDropped) {
  a->send(now, ipv4_packet("10.0.0.1", "10.9.9.9", 10), out_a);
  EXPECT_TRUE(out_a.sent.empty());
  EXPECT_EQ(a->drops(Drop::kNoRoute), 1u);
  a->send(now, Bytes{0x10, 0, 0}, out_a);
  EXPECT_EQ(a->drops(Drop::kNotIp), 1u);
}

TEST_F(DevicePair, ConfigurationChangeSetSemantics) {
  crypto::PublicKey other{};
  other[0] = 9;
  DeviceChange add;
  PeerChange p;
  p.public_key = other;
  p.allowed_ips = {*IpPrefix::parse("10.0.0.2/32"), *IpPrefix::parse("10.5.0.0/16")};
  p.preshared_key = crypto::PresharedKey{};
  p.preshared_key->data()[0] = 1;
  add.peers.push_back(std::move(p));
  ASSERT_TRUE(a->apply(add, now, out_a));
  auto st = a->status();
  ASSERT_EQ(st.peers.size(), 2u);
  // 10.0.0.2/32 moved from b to the new peer.
  EXPECT_EQ(st.peers[0].allowed_ips.size(), 1u);
  EXPECT_EQ(st.peers[1].allowed_ips.size(), 2u);
  EXPECT_TRUE(st.peers[1].preshared_key);

  DeviceChange upd;
  PeerChange u;
  u.public_key = other;
  u.update_only = true;
  u.replace_allowed_ips = true;
  u.allowed_ips = {*IpPrefix::parse("10.6.1.2/8")};  // host bits are masked
  u.preshared_key = crypto::PresharedKey{};           // all zeros: removes it
  upd.peers.push_back(std::move(u));
  PeerChange ghost;  // update_only for an unknown key creates nothing
  ghost.public_key[0] = 7;
  ghost.update_only = true;
  upd.peers.push_back(std::move(ghost));
  PeerChange self;  // our own key as a peer is ignored
  self.public_key = pub_a;
  upd.peers.push_back(std::move(self));
  ASSERT_TRUE(a->apply(upd, now, out_a));
  st = a->status();
  ASSERT_EQ(st.peers.size(), 2u);
  ASSERT_EQ(st.peers[1].allowed_ips.size(), 1u);
  EXPECT_EQ(st.peers[1].allowed_ips[0].to_string(), "10.0.0.0/8");
  EXPECT_FALSE(st.peers[1].preshared_key);

  DeviceChange rm;
  PeerChange r;
  r.public_key = other;
  r.remove = true;
  rm.peers.push_back(std::move(r));
  ASSERT_TRUE(a->apply(rm, now, out_a));
  EXPECT_EQ(a->status().peers.size(), 1u);

  DeviceChange replace;
  replace.replace_peers = true;
  ASSERT_TRUE(a->apply(replace, now, out_a));
  EXPECT_EQ(a->peer_count(), 0u);
}

TEST_F(DevicePair, NewPrivateKeyVoidsSessionsAndPeerWithThatKeyIsRemoved) {
  handshake_a_first();
  DeviceChange c;
  c.private_key = key_b.clone();  // a takes b's key: the peer b now has a's own key
  ASSERT_TRUE(a->apply(c, now, out_a));
  EXPECT_EQ(a->peer_count(), 0u);
  EXPECT_EQ(a->public_key(), pub_b);
}

TEST_F(DevicePair, RemovingThePrivateKeyStopsHandshakes) {
  DeviceChange c;
  c.private_key = crypto::PrivateKey{};
  ASSERT_TRUE(a->apply(c, now, out_a));
  EXPECT_FALSE(a->public_key());
  a->send(now, a_to_b(10), out_a);
  EXPECT_TRUE(out_a.sent.empty());
  b->send(now, b_to_a(10), out_b);
  pump();
  EXPECT_EQ(a->drops(Drop::kNoIdentity), 1u);
  EXPECT_TRUE(out_a.sent.empty());
}

TEST_F(DevicePair, RemovedPeerNoLongerReceives) {
  handshake_a_first();
  a->send(now, a_to_b(10), out_a);
  auto d = out_a.take_sent();
  DeviceChange rm;
  PeerChange r;
  r.public_key = pub_a;
  r.remove = true;
  rm.peers.push_back(std::move(r));
  ASSERT_TRUE(b->apply(rm, now, out_b));
  b->receive(now, ep_a, d[0].bytes, false, out_b);
  EXPECT_TRUE(out_b.delivered.empty());
  EXPECT_EQ(b->drops(Drop::kUnknownIndex), 1u);
  tick_both();  // stale wake-ups of the removed peer are harmless
}

}  // namespace
}  // namespace wgd::wg::test
