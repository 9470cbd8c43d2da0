// BLAKE2s (RFC 7693) over OpenSSL 3: the plain 256-bit hash, the keyed 128-bit MAC that
// WireGuard uses for mac1/mac2/cookies, HMAC-BLAKE2s, and the HKDF of the WireGuard paper.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

#include "crypto/types.h"
#include "util/bytes.h"

namespace wgd::crypto {

// BLAKE2s-256 over the concatenation of `parts`.
Hash blake2s256(std::initializer_list<ByteSpan> parts);

// Keyed BLAKE2s with a 16-byte output: MAC(key, parts...). Key length 1..32.
Mac blake2s_mac(ByteSpan key, std::initializer_list<ByteSpan> parts);

// Keyed BLAKE2s with any output length 1..32 (out.size()); the MAC above is the 16-byte case.
void blake2s_keyed(MutableByteSpan out, ByteSpan key, std::initializer_list<ByteSpan> parts);

// HMAC (RFC 2104) with BLAKE2s-256, as the WireGuard KDF defines it. Any key length, even 0.
Secret<kHashSize> hmac_blake2s(ByteSpan key, std::initializer_list<ByteSpan> parts);

// The KDF_n of the WireGuard paper (HKDF over HMAC-BLAKE2s, no salt/info):
//   t0 = HMAC(key, input); t1 = HMAC(t0, 0x1); t_i = HMAC(t0, t_{i-1} || i).
// `outputs` receives t1..tn (n = outputs.size(), 1..3).
void kdf(std::span<Secret<kHashSize>* const> outputs, ByteSpan key, ByteSpan input);

inline Secret<kHashSize> kdf1(ByteSpan key, ByteSpan input) {
  Secret<kHashSize> a;
  Secret<kHashSize>* out[] = {&a};
  kdf(out, key, input);
  return a;
}

}  // namespace wgd::crypto
