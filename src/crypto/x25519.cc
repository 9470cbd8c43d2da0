#include "crypto/x25519.h"

#include <decaf/point_255.h>
#include <sodium.h>

#include "crypto/init.h"
#include "crypto/random.h"

namespace wgd::crypto {

PrivateKey x25519_generate() {
  PrivateKey key;
  random_bytes(key.span());
  x25519_clamp(key);
  return key;
}

void x25519_clamp(PrivateKey& key) {
  key.data()[0] &= 248;
  key.data()[31] = static_cast<std::uint8_t>((key.data()[31] & 127) | 64);
}

// libdecaf's fixed-base multiplication (precomputed multiples of the base point) takes about
// 60 % of the time of libsodium's crypto_scalarmult_base, which on CPUs with AVX runs the same
// Montgomery ladder as a DH with any point; every handshake computes two ephemeral public keys
// (docs/performance.md). Both clamp the scalar as RFC 7748 says.
PublicKey x25519_public(const PrivateKey& key) {
  PublicKey pub;
  decaf_x25519_derive_public_key(pub.data(), key.data());
  return pub;
}

std::optional<Secret<kKeySize>> x25519(const PrivateKey& ours, const PublicKey& theirs) {
  ensure_initialized();
  Secret<kKeySize> shared;
  // libsodium returns -1 exactly when the result is all zeros.
  if (crypto_scalarmult(shared.data(), ours.data(), theirs.data()) != 0) return std::nullopt;
  return shared;
}

}  // namespace wgd::crypto
