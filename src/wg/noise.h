// Noise_IKpsk2 (noiseprotocol.org, rev. 34), the handshake pattern WireGuard is built on:
//   <- s
//   ...
//   -> e, es, s, ss     {payload}
//   <- e, ee, se, psk   {payload}
// The functions below are the tokens of that pattern, step by step, with the prologue and the
// payloads as parameters. WireGuard drives them with its identifier as prologue and a TAI64N
// timestamp / an empty payload; the published Noise test vectors drive them with theirs, which
// is how we know the construction is exact (noise_test.cc).
//
// In IKpsk2 every symmetric key encrypts exactly once, so every AEAD nonce here is zero.
#pragma once

#include <string_view>
#include <utility>

#include "crypto/types.h"
#include "util/bytes.h"

namespace wgd::wg::noise {

using crypto::PrivateKey;
using crypto::PublicKey;
using crypto::Secret;
using crypto::SymmetricKey;

// The chaining key and the transcript hash.
struct SymmetricState {
  Secret<32> ck;
  crypto::Hash h{};

  SymmetricState clone() const { return {ck.clone(), h}; }
};

// InitializeSymmetric(name) + MixHash(prologue) + MixHash(rs), the IK pre-message.
SymmetricState initial_state(std::string_view protocol_name, ByteSpan prologue,
                             const PublicKey& responder_static);

// -> e, es, s, ss, {payload}. `dh_ss` is DH(s, rs), which WireGuard precomputes per peer.
// Writes e's public key, the encrypted static key (48 bytes) and the encrypted payload
// (payload + 16 bytes). False when a DH result is zero.
bool initiator_write_1(SymmetricState& st, const PrivateKey& e, const PublicKey& rs,
                       const PublicKey& s_public, const Secret<32>& dh_ss, ByteSpan payload,
                       PublicKey& e_out, MutableByteSpan encrypted_static_out,
                       MutableByteSpan encrypted_payload_out);

// The responder reads message 1 in two steps, because it must find out who the initiator is
// (step a decrypts its static key) before it can mix `ss` (step b).
bool responder_read_1a(SymmetricState& st, const PrivateKey& s, const PublicKey& re,
                       ByteSpan encrypted_static, PublicKey& initiator_static_out);
bool responder_read_1b(SymmetricState& st, const Secret<32>& dh_ss, ByteSpan encrypted_payload,
                       MutableByteSpan payload_out);

// <- e, ee, se, psk, {payload}.
bool responder_write_2(SymmetricState& st, const PrivateKey& e, const PublicKey& re,
                       const PublicKey& rs, ByteSpan psk, ByteSpan payload, PublicKey& e_out,
                       MutableByteSpan encrypted_payload_out);
bool initiator_read_2(SymmetricState& st, const PrivateKey& e, const PrivateKey& s,
                      const PublicKey& re, ByteSpan psk, ByteSpan encrypted_payload,
                      MutableByteSpan payload_out);

// Split(): the initiator's sending key first, then the responder's sending key.
std::pair<SymmetricKey, SymmetricKey> split(const SymmetricState& st);

}  // namespace wgd::wg::noise
