// The Noise IKpsk2 handshake layer (handshake.h over noise.h), without the device around it.
//
// The first input byte picks a mode (the X25519 work differs a lot, so each mode does only what
// it needs; the static keys are fixed, the ephemerals and indices come from an RNG seeded with
// a hash of the input, so no input can carry a message made for its own run):
//   0  round trip: initiation and response between two fresh handshakes, each message possibly
//      changed at one byte (position and xor from the input), possibly different PSKs. Checks:
//      exactly the changes to Noise-covered bytes (msg 1: ephemeral, static, timestamp; msg 2:
//      ephemeral, empty payload) and a PSK mismatch are rejected; a rejected message leaves the
//      state as it was (the genuine message is accepted afterwards); a replayed initiation is
//      rejected; both sides derive mirrored keys and crossed indices, and are zeroed after.
//   1  an arbitrary initiation to the responder: identify/consume must not misbehave, and a
//      message that identifies names a key that its static part decrypts to.
//   2  an arbitrary response to a fresh initiation: always rejected, state untouched.
#include <cstring>

#include "byte_reader.h"
#include "crypto/blake2s.h"
#include "crypto/x25519.h"
#include "fuzz_check.h"
#include "wg/handshake.h"
#include "wg/test_support.h"

namespace {

using namespace wgd;
using namespace wgd::wg;
using namespace wgd::fuzz;

struct Party {
  StaticIdentity identity;
  crypto::PublicKey peer{};
  Handshake precomputed;  // initiator_initial and static_static for `peer`
};

StaticIdentity identity_from(std::uint64_t seed) {
  test::DeterministicRng rng(seed);
  crypto::PrivateKey k;
  rng.fill(k.span());
  crypto::x25519_clamp(k);
  StaticIdentity id;
  id.public_key = crypto::x25519_public(k);
  id.private_key = std::move(k);
  id.responder_initial = noise::initial_state(kConstruction, as_bytes(kIdentifier), id.public_key);
  return id;
}

struct Parties {
  Party i, r;
  Parties() {
    i.identity = identity_from(1);
    r.identity = identity_from(2);
    i.peer = r.identity.public_key;
    r.peer = i.identity.public_key;
    handshake_precompute(i.precomputed, i.identity, i.peer);
    handshake_precompute(r.precomputed, r.identity, r.peer);
  }
};

const Parties& parties() {
  static const Parties p;
  return p;
}

// A fresh handshake for `p`, with the per-peer precomputation copied rather than redone.
Handshake fresh(const Party& p) {
  Handshake hs;
  hs.initiator_initial = p.precomputed.initiator_initial.clone();
  hs.static_static = p.precomputed.static_static.clone();
  return hs;
}

bool same_state(const Handshake& a, const Handshake& b) {
  return a.state == b.state && a.local_index == b.local_index && a.remote_index == b.remote_index &&
         a.noise.h == b.noise.h && std::memcmp(a.noise.ck.data(), b.noise.ck.data(), 32) == 0 &&
         a.remote_ephemeral == b.remote_ephemeral && a.latest_timestamp == b.latest_timestamp &&
         a.last_initiation_consumed == b.last_initiation_consumed &&
         std::memcmp(a.ephemeral_private.data(), b.ephemeral_private.data(), 32) == 0;
}

Handshake copy_of(const Handshake& h) {
  Handshake c;
  c.state = h.state;
  c.noise = h.noise.clone();
  c.ephemeral_private = h.ephemeral_private.clone();
  c.remote_ephemeral = h.remote_ephemeral;
  c.local_index = h.local_index;
  c.remote_index = h.remote_index;
  c.latest_timestamp = h.latest_timestamp;
  c.last_initiation_consumed = h.last_initiation_consumed;
  c.initiator_initial = h.initiator_initial.clone();
  c.static_static = h.static_static.clone();
  return c;
}

template <class M>
bool flip(M& m, std::uint16_t at, std::uint8_t with, std::size_t& where) {
  if (with == 0) return false;
  where = at % sizeof(M);
  reinterpret_cast<std::uint8_t*>(&m)[where] ^= with;
  return true;
}

bool covered(std::size_t at, std::size_t from, std::size_t to) {
  return at >= from && at < to;
}

void round_trip(ByteReader& in, test::DeterministicRng& rng) {
  const Party& pi = parties().i;
  const Party& pr = parties().r;
  crypto::PresharedKey psk_i, psk_r;
  const bool with_psk = in.flag();
  if (with_psk) {
    const ByteSpan k = in.bytes(32);
    std::memcpy(psk_i.data(), k.data(), k.size());
    std::memcpy(psk_r.data(), k.data(), k.size());
  }
  const bool psk_mismatch = in.flag();
  if (psk_mismatch) psk_r.data()[in.u8() % 32] ^= 1;
  const std::uint16_t flip1_at = in.u16();
  const std::uint8_t flip1_with = in.u8();
  const std::uint16_t flip2_at = in.u16();
  const std::uint8_t flip2_with = in.u8();
  const Now now{static_cast<Nanos>(in.u32()) * kMillisecond + kSecond,
                static_cast<Nanos>(in.u64() % (4000000000ULL * 1000000000ULL)) + kSecond};

  // -> initiation
  Handshake hi = fresh(pi);
  const std::uint32_t index_i = rng.u32() | 1;
  auto m1 = handshake_create_initiation(hi, pi.identity, pi.peer, index_i, now, rng);
  FUZZ_CHECK(m1.has_value());
  FUZZ_CHECK(hi.state == HandshakeState::kCreatedInitiation && hi.local_index == index_i);
  FUZZ_CHECK(le32_of(m1->type) == kMessageInitiation && le32_of(m1->sender_index) == index_i);
  const MessageInitiation genuine1 = *m1;
  std::size_t at1 = 0;
  const bool changed1 = flip(*m1, flip1_at, flip1_with, at1);
  const bool noise1_broken = changed1 && covered(at1, offsetof(MessageInitiation, ephemeral),
                                                 offsetof(MessageInitiation, mac1));

  Handshake hr = fresh(pr);
  auto partial = handshake_identify_initiation(*m1, pr.identity);
  const bool static_broken = changed1 && covered(at1, offsetof(MessageInitiation, ephemeral),
                                                 offsetof(MessageInitiation, encrypted_timestamp));
  FUZZ_CHECK(partial.has_value() == !static_broken);
  const Handshake hr_before = copy_of(hr);
  if (partial) {
    FUZZ_CHECK(partial->initiator_static == pi.identity.public_key);
    const bool ok = handshake_consume_initiation(hr, std::move(*partial), *m1, now);
    FUZZ_CHECK(ok == !noise1_broken);
  }
  if (noise1_broken) {
    // Rejected without a trace: the genuine message still goes through.
    FUZZ_CHECK(same_state(hr, hr_before));
    auto again = handshake_identify_initiation(genuine1, pr.identity);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(handshake_consume_initiation(hr, std::move(*again), genuine1, now));
    *m1 = genuine1;
  }
  FUZZ_CHECK(hr.state == HandshakeState::kConsumedInitiation);
  FUZZ_CHECK(hr.remote_index == le32_of(m1->sender_index));
  FUZZ_CHECK(hr.remote_ephemeral == m1->ephemeral);
  if (in.flag()) {  // a replay of what was consumed: same timestamp, so not newer
    auto replay = handshake_identify_initiation(*m1, pr.identity);
    FUZZ_CHECK(replay.has_value());
    const Handshake hr_consumed = copy_of(hr);
    const Now later{now.mono + kSecond, now.wall + kSecond};
    FUZZ_CHECK(!handshake_consume_initiation(hr, std::move(*replay), *m1, later));
    FUZZ_CHECK(same_state(hr, hr_consumed));
  }

  // <- response
  const std::uint32_t index_r = rng.u32() | 1;
  auto m2 = handshake_create_response(hr, pr.peer, psk_r, index_r, rng);
  FUZZ_CHECK(m2.has_value());
  FUZZ_CHECK(hr.state == HandshakeState::kCreatedResponse && hr.local_index == index_r);
  FUZZ_CHECK(le32_of(m2->receiver_index) == le32_of(m1->sender_index));
  FUZZ_CHECK(!handshake_create_response(hr, pr.peer, psk_r, index_r, rng));  // only once
  const MessageResponse genuine2 = *m2;
  std::size_t at2 = 0;
  const bool changed2 = flip(*m2, flip2_at, flip2_with, at2);
  const bool noise2_broken = changed2 && covered(at2, offsetof(MessageResponse, ephemeral),
                                                 offsetof(MessageResponse, mac1));

  const Handshake hi_before = copy_of(hi);
  const bool ok2 = handshake_consume_response(hi, *m2, pi.identity, psk_i);
  FUZZ_CHECK(ok2 == (!noise2_broken && !psk_mismatch));
  if (!ok2) {
    FUZZ_CHECK(same_state(hi, hi_before));
    if (psk_mismatch) return;
    FUZZ_CHECK(handshake_consume_response(hi, genuine2, pi.identity, psk_i));
    *m2 = genuine2;
  }
  FUZZ_CHECK(hi.state == HandshakeState::kConsumedResponse);
  FUZZ_CHECK(!handshake_consume_response(hi, *m2, pi.identity, psk_i));  // only once

  // Split: mirrored keys, crossed indices, nothing left behind.
  auto si = handshake_derive_session(hi);
  auto sr = handshake_derive_session(hr);
  FUZZ_CHECK(si && sr);
  FUZZ_CHECK(si->initiator && !sr->initiator);
  FUZZ_CHECK(std::memcmp(si->send.data(), sr->receive.data(), 32) == 0);
  FUZZ_CHECK(std::memcmp(si->receive.data(), sr->send.data(), 32) == 0);
  FUZZ_CHECK(std::memcmp(si->send.data(), si->receive.data(), 32) != 0);
  FUZZ_CHECK(si->local_index == index_i && sr->local_index == index_r);
  FUZZ_CHECK(si->remote_index == le32_of(m2->sender_index));
  FUZZ_CHECK(sr->remote_index == le32_of(m1->sender_index));
  FUZZ_CHECK(hi.state == HandshakeState::kZeroed && hr.state == HandshakeState::kZeroed);
  FUZZ_CHECK(hi.ephemeral_private.is_zero() && hr.ephemeral_private.is_zero());
  FUZZ_CHECK(!handshake_derive_session(hi) && !handshake_derive_session(hr));
}

template <class M>
M message_from(ByteSpan b) {
  M m{};
  std::memcpy(&m, b.data(), std::min(b.size(), sizeof(M)));
  return m;
}

void arbitrary_initiation(ByteReader& in) {
  const Party& pr = parties().r;
  const auto m = message_from<MessageInitiation>(in.bytes(sizeof(MessageInitiation)));
  const Now now{static_cast<Nanos>(in.u32()) * kMillisecond + kSecond, 1700000000LL * kSecond};
  auto partial = handshake_identify_initiation(m, pr.identity);
  if (!partial) return;
  // Anyone can encrypt a static key to us; what matters is that the next step (the timestamp,
  // under DH(static, our static)) only passes for the key the message named. We know only the
  // initiator's key, so only a message from it can go further.
  Handshake hr = fresh(pr);
  const bool from_our_peer = partial->initiator_static == pr.peer;
  const bool ok = handshake_consume_initiation(hr, std::move(*partial), m, now);
  if (!from_our_peer) FUZZ_CHECK(!ok);
  FUZZ_CHECK(ok == (hr.state == HandshakeState::kConsumedInitiation));
}

void arbitrary_response(ByteReader& in, test::DeterministicRng& rng) {
  const Party& pi = parties().i;
  Handshake hi = fresh(pi);
  const Now now{kSecond, 1700000000LL * kSecond};
  FUZZ_CHECK(handshake_create_initiation(hi, pi.identity, pi.peer, 7, now, rng).has_value());
  const auto m = message_from<MessageResponse>(in.bytes(sizeof(MessageResponse)));
  crypto::PresharedKey psk;
  const ByteSpan k = in.bytes(32);
  std::memcpy(psk.data(), k.data(), k.size());
  const Handshake before = copy_of(hi);
  // The response would have to answer an ephemeral key drawn from this input's own hash.
  FUZZ_CHECK(!handshake_consume_response(hi, m, pi.identity, psk));
  FUZZ_CHECK(same_state(hi, before));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan input(data, size);
  const crypto::Hash h = crypto::blake2s256({input});
  test::DeterministicRng rng(load_le64(h.data()));
  ByteReader in(input);
  switch (in.u8() % 3) {
    case 0:
      round_trip(in, rng);
      break;
    case 1:
      arbitrary_initiation(in);
      break;
    case 2:
      arbitrary_response(in, rng);
      break;
  }
  return 0;
}
