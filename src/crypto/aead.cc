// The data path's ChaCha20-Poly1305: OpenSSL, measured faster than libsodium at 1420 bytes
// (see docs/performance.md and bench/crypto_bench.cc, which prints both side by side).
#include "crypto/aead.h"

namespace wgd::crypto {

void chacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan plaintext, ByteSpan ad) {
  openssl::chacha20poly1305_seal(out, key, nonce, plaintext, ad);
}

bool chacha20poly1305_open(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan ciphertext, ByteSpan ad) {
  return openssl::chacha20poly1305_open(out, key, nonce, ciphertext, ad);
}

}  // namespace wgd::crypto
