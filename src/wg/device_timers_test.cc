// Every timer rule of the WireGuard paper, driven by the fake clock.
#include "wg/device_test_fixture.h"

namespace wgd::wg::test {
namespace {

class Timers : public DevicePair {};

// REKEY_TIMEOUT with jitter; MAX_TIMER_HANDSHAKES retries; then give up and drop staged data.
TEST_F(Timers, RetransmitWithJitterThenGiveUp) {
  a->send(now, a_to_b(10), out_a);
  ASSERT_EQ(count_type(out_a.take_sent(), kMessageInitiation), 1);
  const TimerSettings t;
  std::vector<Nanos> sent_at;
  const Nanos start = now.mono;
  for (Nanos elapsed = 0; elapsed < 200 * kSecond; elapsed += 10 * kMillisecond) {
    advance(10 * kMillisecond);
    a->tick(now, out_a);
    for (auto& d : out_a.take_sent())
      if (message_type(d.bytes) == kMessageInitiation) sent_at.push_back(now.mono - start);
  }
  // Retries while attempts <= MAX_TIMER_HANDSHAKES (18): 19 retries after the first initiation.
  ASSERT_EQ(sent_at.size(), 19u);
  Nanos prev = 0;
  bool some_jitter = false;
  for (Nanos at : sent_at) {
    const Nanos gap = at - prev;
    EXPECT_GE(gap, t.rekey_timeout);
    EXPECT_LE(gap, t.rekey_timeout + t.rekey_timeout_jitter_max + 10 * kMillisecond);
    some_jitter |= gap > t.rekey_timeout + 20 * kMillisecond;
    prev = at;
  }
  EXPECT_TRUE(some_jitter);
  EXPECT_TRUE(a->find_peer(pub_b)->staged.empty());  // gave up: staged data dropped
  // Nothing more is sent until new data asks for a session.
  run_for(60 * kSecond, 100 * kMillisecond, true, true);
  EXPECT_EQ(count_type(out_a.sent, kMessageInitiation), 0);
}

// At most one initiation per REKEY_TIMEOUT per peer, however much data waits.
TEST_F(Timers, OneInitiationPerRekeyTimeout) {
  for (int i = 0; i < 50; ++i) {
    a->send(now, a_to_b(10), out_a);
    advance(50 * kMillisecond);
  }
  EXPECT_EQ(count_type(out_a.take_sent(), kMessageInitiation), 1);
  advance(3 * kSecond);  // 5.5 s after the first
  a->send(now, a_to_b(10), out_a);
  EXPECT_EQ(count_type(out_a.take_sent(), kMessageInitiation), 1);
  EXPECT_EQ(a->find_peer(pub_b)->staged.size(), 51u);
}

// KEEPALIVE_TIMEOUT: received data with nothing to send back gets a keepalive 10 s after the
// first unanswered packet; data arriving while that timer runs asks for one more afterwards.
TEST_F(Timers, PassiveKeepaliveAfterReceivingData) {
  handshake_a_first();  // b received data at t0: keepalive due at t0 + 10 s
  const Nanos t0 = now.mono;
  const Nanos keepalive = TimerSettings{}.keepalive_timeout;
  advance(kSecond);
  a->send(now, a_to_b(10), out_a);  // arrives while the timer runs: "need another"
  pump();
  out_b.take_delivered();
  out_b.take_sent();
  auto keepalives_until = [&](Nanos t) {
    int n = 0;
    while (now.mono < t) {
      advance(kMillisecond);
      b->tick(now, out_b);
      for (auto& d : out_b.take_sent()) {
        EXPECT_EQ(d.bytes.size(), transport_size(0));
        ++n;
      }
    }
    return n;
  };
  EXPECT_EQ(keepalives_until(t0 + keepalive - kMillisecond), 0);
  EXPECT_EQ(keepalives_until(t0 + keepalive + kMillisecond), 1);
  EXPECT_EQ(keepalives_until(t0 + 2 * keepalive - kMillisecond), 0);
  EXPECT_EQ(keepalives_until(t0 + 2 * keepalive + kMillisecond), 1);  // the one more
  EXPECT_EQ(keepalives_until(t0 + 5 * keepalive), 0);                 // then quiet

  // Sending anything in between cancels the keepalive (both sides run now, so a's own
  // keepalive answers b's data and nobody needs a new handshake).
  a->send(now, a_to_b(10), out_a);
  pump();
  advance(kSecond);
  b->send(now, b_to_a(10), out_b);
  pump();
  int b_keepalives = 0, b_initiations = 0;
  for (int i = 0; i < 300; ++i) {
    advance(100 * kMillisecond);
    tick_both();
    for (auto& d : out_b.sent) {
      b_keepalives += d.bytes.size() == transport_size(0);
      b_initiations += message_type(d.bytes) == kMessageInitiation;
    }
    pump();
  }
  EXPECT_EQ(b_keepalives, 0);
  EXPECT_EQ(b_initiations, 0);
}

// KEEPALIVE_TIMEOUT + REKEY_TIMEOUT: data sent and nothing heard back -> new handshake.
TEST_F(Timers, NewHandshakeWhenDataGoesUnanswered) {
  handshake_a_first();
  advance(kSecond);
  a->send(now, a_to_b(10), out_a);
  out_a.take_sent();  // lost; b never answers
  const TimerSettings t;
  advance(t.keepalive_timeout + t.rekey_timeout - kMillisecond);
  a->tick(now, out_a);
  EXPECT_EQ(count_type(out_a.sent, kMessageInitiation), 0);
  advance(t.rekey_timeout_jitter_max + 2 * kMillisecond);
  a->tick(now, out_a);
  EXPECT_EQ(count_type(out_a.take_sent(), kMessageInitiation), 1);
}

// Any authenticated receive cancels that: b's keepalive keeps a from re-handshaking.
TEST_F(Timers, AnsweredDataDoesNotTriggerHandshake) {
  handshake_a_first();
  advance(kSecond);
  a->send(now, a_to_b(10), out_a);
  run_for(30 * kSecond);
  EXPECT_EQ(count_type(out_a.sent, kMessageInitiation), 0);
}

// REKEY_AFTER_TIME: the initiator starts a new handshake when sending on an old session; the
// responder does not (only the initiator rekeys by time, to avoid thundering herds).
TEST_F(Timers, RekeyAfterTimeOnlyForTheInitiator) {
  handshake_a_first();
  const TimerSettings t;
  run_for(t.rekey_after_time - 2 * kSecond, kSecond);  // keepalives flow, no new handshake
  a->send(now, a_to_b(10), out_a);
  EXPECT_EQ(count_type(out_a.take_sent(), kMessageInitiation), 0);
  b->send(now, b_to_a(10), out_b);
  pump();
  advance(3 * kSecond);
  b->send(now, b_to_a(10), out_b);
  EXPECT_EQ(count_type(out_b.take_sent(), kMessageInitiation), 0);
  out_b.sent.clear();
  a->send(now, a_to_b(10), out_a);
  auto sent = out_a.take_sent();
  EXPECT_EQ(count_type(sent, kMessageTransport), 1);  // the data still goes on the old session
  EXPECT_EQ(count_type(sent, kMessageInitiation), 1);
}

// REJECT_AFTER_TIME: a session is unusable for sending and receiving after 180 s.
TEST_F(Timers, RejectAfterTime) {
  handshake_a_first();
  b->send(now, b_to_a(10), out_b);  // b's session is current as responder
  pump();
  out_a.take_delivered();
  // Keep the sessions from rekeying: take every message out of the network.
  const TimerSettings t;
  advance(t.reject_after_time - kSecond);
  b->send(now, b_to_a(10), out_b);
  auto ok = out_b.take_sent();
  ASSERT_EQ(count_type(ok, kMessageTransport), 1);
  advance(2 * kSecond);
  a->receive(now, ep_b, ok[0].bytes, false, out_a);  // now 181 s old at a
  EXPECT_TRUE(out_a.delivered.empty());
  EXPECT_EQ(a->drops(Drop::kStaleSession), 1u);
  b->send(now, b_to_a(10), out_b);
  auto after = out_b.take_sent();
  EXPECT_EQ(count_type(after, kMessageTransport), 0);  // staged, waiting for a new session
  EXPECT_EQ(count_type(after, kMessageInitiation), 1);
}

// The initiator also rekeys from the receive path when its session nears REJECT_AFTER_TIME
// (REJECT - KEEPALIVE - REKEY_TIMEOUT), once.
TEST_F(Timers, LastMinuteHandshakeOnReceive) {
  handshake_a_first();
  b->send(now, b_to_a(10), out_b);
  pump();
  const TimerSettings t;
  advance(t.reject_after_time - t.keepalive_timeout - t.rekey_timeout + kSecond);
  b->send(now, b_to_a(10), out_b);
  auto d = out_b.take_sent();
  a->receive(now, ep_b, d[0].bytes, false, out_a);
  EXPECT_EQ(count_type(out_a.take_sent(), kMessageInitiation), 1);
  advance(6 * kSecond);
  b->send(now, b_to_a(10), out_b);
  d = out_b.take_sent();
  a->receive(now, ep_b, d[0].bytes, false, out_a);
  EXPECT_EQ(count_type(out_a.take_sent(), kMessageInitiation), 0);  // only once
}

// REKEY_AFTER_MESSAGES and REJECT_AFTER_MESSAGES, with the limits lowered for the test.
TEST_F(Timers, MessageCountLimits) {
  TimerSettings t;
  t.rekey_after_messages = 10;
  t.reject_after_messages = 20;
  build(t);
  handshake_a_first();  // counter 0 used
  advance(TimerSettings{}.rekey_timeout);  // past the rate limit of the first handshake
  int initiations = 0, transports = 0;
  for (int i = 0; i < 25; ++i) {
    a->send(now, a_to_b(10), out_a);
    auto s = out_a.take_sent();
    initiations += count_type(s, kMessageInitiation);
    transports += count_type(s, kMessageTransport);
  }
  EXPECT_EQ(transports, 19);      // counters 1..19; counter 20 would reach the limit
  EXPECT_EQ(initiations, 1);      // once past 10 (rate limited afterwards)
  EXPECT_EQ(a->find_peer(pub_b)->staged.size(), 6u);
  // The receiver refuses nonces at or beyond the limit too.
  ReplayWindow w(t.reject_after_messages);
  EXPECT_FALSE(w.accept(20));
}

// 3 x REJECT_AFTER_TIME without a new session: all key material is wiped.
TEST_F(Timers, ZeroKeyMaterialAfterThreeRejectAfterTime) {
  handshake_a_first();
  const TimerSettings t;
  advance(3 * t.reject_after_time - kSecond);
  tick_both();
  out_a.take_sent();
  out_b.take_sent();
  EXPECT_TRUE(a->find_peer(pub_b)->sessions.current);
  advance(2 * kSecond);
  tick_both();
  const Peer& pa = *a->find_peer(pub_b);
  EXPECT_FALSE(pa.sessions.current || pa.sessions.previous || pa.sessions.next);
  EXPECT_EQ(pa.handshake.state, HandshakeState::kZeroed);
  EXPECT_FALSE(b->find_peer(pub_a)->sessions.current);
}

// Persistent keepalive: a keepalive every N seconds of silence, in both directions' absence.
TEST_F(Timers, PersistentKeepalive) {
  handshake_a_first();
  DeviceChange c;
  PeerChange p;
  p.public_key = pub_b;
  p.persistent_keepalive = 25;
  c.peers.push_back(std::move(p));
  ASSERT_TRUE(a->apply(c, now, out_a));  // sends one at once
  EXPECT_EQ(count_type(out_a.take_sent(), kMessageTransport), 1);
  int keepalives = 0;
  for (int s = 0; s < 100; ++s) {
    advance(kSecond);
    a->tick(now, out_a);
    for (auto& d : out_a.take_sent())
      keepalives += message_type(d.bytes) == kMessageTransport && d.bytes.size() == transport_size(0);
  }
  EXPECT_EQ(keepalives, 4);  // at 25, 50, 75, 100 s
}

// Under load: a handshake without a valid mac2 gets a cookie reply, not a response; the retry
// carries mac2 from the cookie and is answered.
TEST_F(Timers, CookieReplyUnderLoadThenMac2) {
  under_load_b = true;
  a->send(now, a_to_b(10), out_a);
  auto init = out_a.take_sent();
  b->receive(now, ep_a, init[0].bytes, true, out_b);
  auto cookie = out_b.take_sent();
  ASSERT_EQ(cookie.size(), 1u);
  EXPECT_EQ(cookie[0].bytes.size(), kCookieReplySize);
  EXPECT_EQ(cookie[0].to, ep_a);
  EXPECT_EQ(b->drops(Drop::kCookieSent), 1u);
  a->receive(now, ep_b, cookie[0].bytes, false, out_a);
  EXPECT_TRUE(out_a.sent.empty());  // a cookie reply is never answered
  // The same cookie reply again does not authenticate (one per message sent).
  a->receive(now, ep_b, cookie[0].bytes, false, out_a);
  EXPECT_EQ(a->drops(Drop::kBadCookieReply), 1u);

  advance(TimerSettings{}.rekey_timeout + TimerSettings{}.rekey_timeout_jitter_max);
  a->tick(now, out_a);
  auto retry = out_a.take_sent();
  ASSERT_EQ(count_type(retry, kMessageInitiation), 1);
  b->receive(now, ep_a, retry[0].bytes, true, out_b);
  EXPECT_EQ(count_type(out_b.sent, kMessageResponse), 1);
  pump();
  EXPECT_EQ(out_b.take_delivered().size(), 1u);

  // A cookie is bound to the source address: the same message from elsewhere fails mac2.
  const Endpoint other = *Endpoint::parse("198.51.100.9:1234");
  b->receive(now, other, retry[0].bytes, true, out_b);
  auto again = out_b.take_sent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].bytes.size(), kCookieReplySize);
  EXPECT_EQ(again[0].to, other);
}

// A peer without an endpoint: keepalive turned on builds no initiation (nothing could carry
// it), but the retry schedule runs, so an endpoint configured a little later is reached
// within REKEY_TIMEOUT without waiting for traffic.
TEST_F(Timers, NoEndpointSkipsTheInitiationButKeepsRetrying) {
  DeviceChange forget;
  PeerChange drop;
  drop.public_key = pub_b;
  drop.remove = true;
  forget.peers.push_back(std::move(drop));
  ASSERT_TRUE(a->apply(forget, now, out_a));
  DeviceChange c;
  PeerChange p;
  p.public_key = pub_b;
  p.allowed_ips.push_back(*IpPrefix::parse("10.0.0.2/32"));
  p.persistent_keepalive = 25;
  c.peers.push_back(std::move(p));
  ASSERT_TRUE(a->apply(c, now, out_a));
  EXPECT_EQ(count_type(out_a.take_sent(), kMessageInitiation), 0);
  EXPECT_EQ(a->find_peer(pub_b)->handshake.local_index, 0u);  // no handshake state was built

  advance(kSecond);
  DeviceChange where;
  PeerChange e;
  e.public_key = pub_b;
  e.endpoint = ep_b;
  where.peers.push_back(std::move(e));
  ASSERT_TRUE(a->apply(where, now, out_a));
  const TimerSettings t;
  int initiations = 0;
  for (Nanos waited = 0; waited <= t.rekey_timeout + t.rekey_timeout_jitter_max; waited += 10 * kMillisecond) {
    advance(10 * kMillisecond);
    a->tick(now, out_a);
    initiations += count_type(out_a.sent, kMessageInitiation);
    if (initiations) break;
  }
  EXPECT_EQ(initiations, 1);
  pump();
  EXPECT_TRUE(b->find_peer(pub_a)->sessions.current);
}

}  // namespace
}  // namespace wgd::wg::test
