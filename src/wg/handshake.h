// Per-peer handshake state and the WireGuard handshake messages built on the Noise tokens of
// noise.h (paper section 5.4.2 and 5.4.3). Updates are all-or-nothing: each function works on
// copies and writes the peer's state only once every check has passed.
#pragma once

#include <optional>

#include "crypto/types.h"
#include "wg/clock.h"
#include "wg/messages.h"
#include "wg/noise.h"
#include "wg/rng.h"
#include "wg/tai64n.h"

namespace wgd::wg {

// Our own static key and what is derived from it once.
struct StaticIdentity {
  std::optional<crypto::PrivateKey> private_key;
  crypto::PublicKey public_key{};
  // The initial Noise state of a handshake in which we are the responder.
  std::optional<noise::SymmetricState> responder_initial;

  bool has_key() const { return private_key.has_value(); }
};

enum class HandshakeState {
  kZeroed,
  kCreatedInitiation,
  kConsumedInitiation,
  kCreatedResponse,
  kConsumedResponse,
};

struct Handshake {
  HandshakeState state = HandshakeState::kZeroed;
  noise::SymmetricState noise;
  crypto::PrivateKey ephemeral_private;
  crypto::PublicKey remote_ephemeral{};
  std::uint32_t local_index = 0;   // 0 = none registered
  std::uint32_t remote_index = 0;

  // Kept across handshakes: replay and flood protection for initiations.
  Tai64n latest_timestamp{};
  Nanos last_initiation_consumed = kLongAgo;

  // Derived from the peer's public key and our private key.
  noise::SymmetricState initiator_initial;  // our initial state when we initiate to this peer
  crypto::Secret<32> static_static;         // DH(our static, peer static); zero if unusable

  // Forgets the in-progress exchange (not the replay/flood protection).
  void zero();
};

// Recomputes what depends on the device key and the peer key.
void handshake_precompute(Handshake& hs, const StaticIdentity& identity,
                          const crypto::PublicKey& peer_key);

// Builds an initiation (macs not yet stamped). The caller registers `local_index` first.
std::optional<MessageInitiation> handshake_create_initiation(Handshake& hs,
                                                             const StaticIdentity& identity,
                                                             const crypto::PublicKey& peer_key,
                                                             std::uint32_t local_index, Now now,
                                                             Rng& rng);

// The first half of consuming an initiation: who sent it? Leaves the partial Noise state in
// `partial` for handshake_consume_initiation.
struct InitiationPartial {
  noise::SymmetricState noise;
  crypto::PublicKey initiator_static{};
};
std::optional<InitiationPartial> handshake_identify_initiation(const MessageInitiation& msg,
                                                               const StaticIdentity& identity);

// The second half, once the peer is known: timestamp replay and flood checks, then commit.
bool handshake_consume_initiation(Handshake& hs, InitiationPartial partial,
                                  const MessageInitiation& msg, Now now);

std::optional<MessageResponse> handshake_create_response(Handshake& hs,
                                                         const crypto::PublicKey& peer_key,
                                                         const crypto::PresharedKey& psk,
                                                         std::uint32_t local_index, Rng& rng);

bool handshake_consume_response(Handshake& hs, const MessageResponse& msg,
                                const StaticIdentity& identity, const crypto::PresharedKey& psk);

// Derives transport keys from a completed exchange (state kCreatedResponse or
// kConsumedResponse) and zeroes the handshake.
struct DerivedSession {
  crypto::SymmetricKey send, receive;
  bool initiator = false;
  std::uint32_t local_index = 0, remote_index = 0;
};
std::optional<DerivedSession> handshake_derive_session(Handshake& hs);

}  // namespace wgd::wg
