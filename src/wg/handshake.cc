#include "wg/handshake.h"

#include "crypto/x25519.h"
#include "wg/constants.h"

namespace wgd::wg {
namespace {

crypto::PrivateKey fresh_ephemeral(Rng& rng) {
  crypto::PrivateKey e;
  rng.fill(e.span());
  crypto::x25519_clamp(e);
  return e;
}

}  // namespace

void Handshake::zero() {
  state = HandshakeState::kZeroed;
  noise = noise::SymmetricState{};
  ephemeral_private.wipe();
  remote_ephemeral.fill(0);
  local_index = 0;
  remote_index = 0;
}

void handshake_precompute(Handshake& hs, const StaticIdentity& identity,
                          const crypto::PublicKey& peer_key) {
  hs.initiator_initial = noise::initial_state(kConstruction, as_bytes(kIdentifier), peer_key);
  hs.static_static.wipe();
  if (identity.private_key) {
    if (auto dh = crypto::x25519(*identity.private_key, peer_key)) hs.static_static = std::move(*dh);
  }
}

std::optional<MessageInitiation> handshake_create_initiation(Handshake& hs,
                                                             const StaticIdentity& identity,
                                                             const crypto::PublicKey& peer_key,
                                                             std::uint32_t local_index, Now now,
                                                             Rng& rng) {
  if (!identity.has_key() || hs.static_static.is_zero()) return std::nullopt;
  noise::SymmetricState st = hs.initiator_initial.clone();
  crypto::PrivateKey e = fresh_ephemeral(rng);
  MessageInitiation m{};
  m.type = le32_bytes(kMessageInitiation);
  m.sender_index = le32_bytes(local_index);
  const Tai64n timestamp = tai64n_from_unix_nanos(now.wall);
  crypto::PublicKey e_public;
  if (!noise::initiator_write_1(st, e, peer_key, identity.public_key, hs.static_static, timestamp,
                                e_public, m.encrypted_static, m.encrypted_timestamp))
    return std::nullopt;
  m.ephemeral = e_public;

  hs.noise = std::move(st);
  hs.ephemeral_private = std::move(e);
  hs.local_index = local_index;
  hs.remote_index = 0;
  hs.state = HandshakeState::kCreatedInitiation;
  return m;
}

std::optional<InitiationPartial> handshake_identify_initiation(const MessageInitiation& msg,
                                                               const StaticIdentity& identity) {
  if (!identity.has_key() || !identity.responder_initial) return std::nullopt;
  InitiationPartial p{identity.responder_initial->clone(), {}};
  if (!noise::responder_read_1a(p.noise, *identity.private_key, msg.ephemeral,
                                msg.encrypted_static, p.initiator_static))
    return std::nullopt;
  return p;
}

bool handshake_consume_initiation(Handshake& hs, InitiationPartial partial,
                                  const MessageInitiation& msg, Now now) {
  Tai64n timestamp;
  if (!noise::responder_read_1b(partial.noise, hs.static_static, msg.encrypted_timestamp,
                                timestamp))
    return false;
  const bool replay = !tai64n_after(timestamp, hs.latest_timestamp);
  const bool flood = hs.last_initiation_consumed + kSecond / kInitiationsPerSecond > now.mono;
  if (replay || flood) return false;

  hs.remote_ephemeral = msg.ephemeral;
  hs.latest_timestamp = timestamp;
  hs.noise = std::move(partial.noise);
  hs.remote_index = le32_of(msg.sender_index);
  hs.last_initiation_consumed = now.mono;
  hs.state = HandshakeState::kConsumedInitiation;
  return true;
}

std::optional<MessageResponse> handshake_create_response(Handshake& hs,
                                                         const crypto::PublicKey& peer_key,
                                                         const crypto::PresharedKey& psk,
                                                         std::uint32_t local_index, Rng& rng) {
  if (hs.state != HandshakeState::kConsumedInitiation) return std::nullopt;
  noise::SymmetricState st = hs.noise.clone();
  crypto::PrivateKey e = fresh_ephemeral(rng);
  MessageResponse m{};
  m.type = le32_bytes(kMessageResponse);
  m.sender_index = le32_bytes(local_index);
  m.receiver_index = le32_bytes(hs.remote_index);
  crypto::PublicKey e_public;
  if (!noise::responder_write_2(st, e, hs.remote_ephemeral, peer_key, psk.span(), {}, e_public,
                                m.encrypted_nothing))
    return std::nullopt;
  m.ephemeral = e_public;

  hs.noise = std::move(st);
  hs.ephemeral_private = std::move(e);
  hs.local_index = local_index;
  hs.state = HandshakeState::kCreatedResponse;
  return m;
}

bool handshake_consume_response(Handshake& hs, const MessageResponse& msg,
                                const StaticIdentity& identity, const crypto::PresharedKey& psk) {
  if (hs.state != HandshakeState::kCreatedInitiation || !identity.has_key()) return false;
  noise::SymmetricState st = hs.noise.clone();
  if (!noise::initiator_read_2(st, hs.ephemeral_private, *identity.private_key, msg.ephemeral,
                               psk.span(), msg.encrypted_nothing, {}))
    return false;

  hs.remote_ephemeral = msg.ephemeral;
  hs.noise = std::move(st);
  hs.remote_index = le32_of(msg.sender_index);
  hs.state = HandshakeState::kConsumedResponse;
  return true;
}

std::optional<DerivedSession> handshake_derive_session(Handshake& hs) {
  if (hs.state != HandshakeState::kCreatedResponse &&
      hs.state != HandshakeState::kConsumedResponse)
    return std::nullopt;
  DerivedSession s;
  s.initiator = hs.state == HandshakeState::kConsumedResponse;
  auto [initiator_to_responder, responder_to_initiator] = noise::split(hs.noise);
  if (s.initiator) {
    s.send = std::move(initiator_to_responder);
    s.receive = std::move(responder_to_initiator);
  } else {
    s.send = std::move(responder_to_initiator);
    s.receive = std::move(initiator_to_responder);
  }
  s.local_index = hs.local_index;
  s.remote_index = hs.remote_index;
  hs.zero();
  return s;
}

}  // namespace wgd::wg
