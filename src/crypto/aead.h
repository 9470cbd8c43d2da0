// ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha).
//
// Two implementations of ChaCha20-Poly1305 are kept so the benchmark can compare them in one run
// (bench/crypto_bench.cc); the data path uses `chacha20poly1305_*`, which picks per packet the
// one that is faster at its size on the machines we measured (aead.cc): libsodium 1.0.18 up to
// 512 bytes, where OpenSSL 3's per-call overhead dominates, OpenSSL's AVX-512 code above.
//
// All functions accept in-place operation (output and input at the same address).
// `out` must be exactly plaintext.size() + kAeadTagSize bytes for seal and
// ciphertext.size() - kAeadTagSize bytes for open. Open returns false on a bad tag or
// a too-short input; its output is then garbage and must be dropped.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "crypto/types.h"
#include "util/bytes.h"

namespace wgd::crypto {

using AeadNonce = std::array<std::uint8_t, kAeadNonceSize>;
using XAeadNonce = std::array<std::uint8_t, kXAeadNonceSize>;
using KeyBytes = std::span<const std::uint8_t, kKeySize>;

// WireGuard's nonce: 32 zero bits then the 64-bit little-endian counter.
inline AeadNonce counter_nonce(std::uint64_t counter) {
  AeadNonce n{};
  store_le64(n.data() + 4, counter);
  return n;
}

void chacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan plaintext, ByteSpan ad);
[[nodiscard]] bool chacha20poly1305_open(MutableByteSpan out, KeyBytes key,
                                         const AeadNonce& nonce, ByteSpan ciphertext, ByteSpan ad);

namespace openssl {
void chacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan plaintext, ByteSpan ad);
[[nodiscard]] bool chacha20poly1305_open(MutableByteSpan out, KeyBytes key,
                                         const AeadNonce& nonce, ByteSpan ciphertext, ByteSpan ad);
}  // namespace openssl

namespace sodium {
void chacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan plaintext, ByteSpan ad);
[[nodiscard]] bool chacha20poly1305_open(MutableByteSpan out, KeyBytes key,
                                         const AeadNonce& nonce, ByteSpan ciphertext, ByteSpan ad);
}  // namespace sodium

void xchacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const XAeadNonce& nonce,
                            ByteSpan plaintext, ByteSpan ad);
[[nodiscard]] bool xchacha20poly1305_open(MutableByteSpan out, KeyBytes key,
                                          const XAeadNonce& nonce, ByteSpan ciphertext,
                                          ByteSpan ad);

}  // namespace wgd::crypto
