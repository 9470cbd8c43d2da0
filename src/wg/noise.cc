#include "wg/noise.h"

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/x25519.h"

namespace wgd::wg::noise {
namespace {

constexpr crypto::AeadNonce kZeroNonce{};

void mix_hash(SymmetricState& st, ByteSpan data) { st.h = crypto::blake2s256({st.h, data}); }

// The `e` token in a PSK pattern: MixHash(e) and MixKey(e); the key MixKey yields is never
// used before the next DH replaces it, so only the chaining key is kept (WireGuard's KDF1).
void mix_ephemeral(SymmetricState& st, const PublicKey& e) {
  mix_hash(st, e);
  st.ck = crypto::kdf1(st.ck.span(), e);
}

// A DH token: (ck, k) = KDF2(ck, DH(a, b)). False when the DH result is zero.
bool mix_dh(SymmetricState& st, const PrivateKey& a, const PublicKey& b, SymmetricKey* k) {
  auto shared = crypto::x25519(a, b);
  if (!shared) return false;
  Secret<32> ck;
  Secret<32> key;
  Secret<32>* out[] = {&ck, &key};
  crypto::kdf(out, st.ck.span(), shared->span());
  st.ck = std::move(ck);
  if (k) *k = std::move(key);
  return true;
}

bool mix_precomputed(SymmetricState& st, const Secret<32>& dh, SymmetricKey& k) {
  if (dh.is_zero()) return false;
  Secret<32> ck;
  Secret<32>* out[] = {&ck, &k};
  crypto::kdf(out, st.ck.span(), dh.span());
  st.ck = std::move(ck);
  return true;
}

// The psk token: (ck, t, k) = KDF3(ck, psk); MixHash(t).
SymmetricKey mix_psk(SymmetricState& st, ByteSpan psk) {
  Secret<32> ck, t, k;
  Secret<32>* out[] = {&ck, &t, &k};
  crypto::kdf(out, st.ck.span(), psk);
  st.ck = std::move(ck);
  mix_hash(st, t.span());
  return k;
}

void encrypt_and_hash(SymmetricState& st, const SymmetricKey& k, ByteSpan plaintext,
                      MutableByteSpan out) {
  crypto::chacha20poly1305_seal(out, k.span(), kZeroNonce, plaintext, st.h);
  mix_hash(st, out);
}

bool decrypt_and_hash(SymmetricState& st, const SymmetricKey& k, ByteSpan ciphertext,
                      MutableByteSpan out) {
  if (!crypto::chacha20poly1305_open(out, k.span(), kZeroNonce, ciphertext, st.h)) return false;
  mix_hash(st, ciphertext);
  return true;
}

}  // namespace

SymmetricState initial_state(std::string_view protocol_name, ByteSpan prologue,
                             const PublicKey& responder_static) {
  SymmetricState st;
  if (protocol_name.size() <= 32) {
    st.h.fill(0);
    std::copy(protocol_name.begin(), protocol_name.end(), st.h.begin());
  } else {
    st.h = crypto::blake2s256({as_bytes(protocol_name)});
  }
  st.ck = Secret<32>(std::span<const std::uint8_t, 32>(st.h));
  mix_hash(st, prologue);
  mix_hash(st, responder_static);
  return st;
}

bool initiator_write_1(SymmetricState& st, const PrivateKey& e, const PublicKey& rs,
                       const PublicKey& s_public, const Secret<32>& dh_ss, ByteSpan payload,
                       PublicKey& e_out, MutableByteSpan encrypted_static_out,
                       MutableByteSpan encrypted_payload_out) {
  /* e */
  e_out = crypto::x25519_public(e);
  mix_ephemeral(st, e_out);
  /* es */
  SymmetricKey k;
  if (!mix_dh(st, e, rs, &k)) return false;
  /* s */
  encrypt_and_hash(st, k, s_public, encrypted_static_out);
  /* ss */
  if (!mix_precomputed(st, dh_ss, k)) return false;
  /* {payload} */
  encrypt_and_hash(st, k, payload, encrypted_payload_out);
  return true;
}

bool responder_read_1a(SymmetricState& st, const PrivateKey& s, const PublicKey& re,
                       ByteSpan encrypted_static, PublicKey& initiator_static_out) {
  /* e */
  mix_ephemeral(st, re);
  /* es */
  SymmetricKey k;
  if (!mix_dh(st, s, re, &k)) return false;
  /* s */
  return decrypt_and_hash(st, k, encrypted_static, initiator_static_out);
}

bool responder_read_1b(SymmetricState& st, const Secret<32>& dh_ss, ByteSpan encrypted_payload,
                       MutableByteSpan payload_out) {
  /* ss */
  SymmetricKey k;
  if (!mix_precomputed(st, dh_ss, k)) return false;
  /* {payload} */
  return decrypt_and_hash(st, k, encrypted_payload, payload_out);
}

bool responder_write_2(SymmetricState& st, const PrivateKey& e, const PublicKey& re,
                       const PublicKey& rs, ByteSpan psk, ByteSpan payload, PublicKey& e_out,
                       MutableByteSpan encrypted_payload_out) {
  /* e */
  e_out = crypto::x25519_public(e);
  mix_ephemeral(st, e_out);
  /* ee */
  if (!mix_dh(st, e, re, nullptr)) return false;
  /* se */
  if (!mix_dh(st, e, rs, nullptr)) return false;
  /* psk */
  SymmetricKey k = mix_psk(st, psk);
  /* {payload} */
  encrypt_and_hash(st, k, payload, encrypted_payload_out);
  return true;
}

bool initiator_read_2(SymmetricState& st, const PrivateKey& e, const PrivateKey& s,
                      const PublicKey& re, ByteSpan psk, ByteSpan encrypted_payload,
                      MutableByteSpan payload_out) {
  /* e */
  mix_ephemeral(st, re);
  /* ee */
  if (!mix_dh(st, e, re, nullptr)) return false;
  /* se */
  if (!mix_dh(st, s, re, nullptr)) return false;
  /* psk */
  SymmetricKey k = mix_psk(st, psk);
  /* {payload} */
  return decrypt_and_hash(st, k, encrypted_payload, payload_out);
}

std::pair<SymmetricKey, SymmetricKey> split(const SymmetricState& st) {
  SymmetricKey a, b;
  Secret<32>* out[] = {&a, &b};
  crypto::kdf(out, st.ck.span(), {});
  return {std::move(a), std::move(b)};
}

}  // namespace wgd::wg::noise
