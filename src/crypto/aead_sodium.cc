// ChaCha20-Poly1305 and XChaCha20-Poly1305 over libsodium.
#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/init.h"

namespace wgd::crypto {

namespace sodium {

void chacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan plaintext, ByteSpan ad) {
  ensure_initialized();  // sodium_init() picks the SIMD implementations
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), nullptr, plaintext.data(), plaintext.size(),
                                            ad.data(), ad.size(), nullptr, nonce.data(), key.data());
}

bool chacha20poly1305_open(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan ciphertext, ByteSpan ad) {
  ensure_initialized();
  if (ciphertext.size() < kAeadTagSize) return false;
  return crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), nullptr, nullptr, ciphertext.data(),
                                                   ciphertext.size(), ad.data(), ad.size(),
                                                   nonce.data(), key.data()) == 0;
}

}  // namespace sodium

void xchacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const XAeadNonce& nonce,
                            ByteSpan plaintext, ByteSpan ad) {
  ensure_initialized();
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), nullptr, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr,
                                             nonce.data(), key.data());
}

bool xchacha20poly1305_open(MutableByteSpan out, KeyBytes key, const XAeadNonce& nonce,
                            ByteSpan ciphertext, ByteSpan ad) {
  ensure_initialized();
  if (ciphertext.size() < kAeadTagSize) return false;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), nullptr, nullptr,
                                                    ciphertext.data(), ciphertext.size(),
                                                    ad.data(), ad.size(), nonce.data(),
                                                    key.data()) == 0;
}

}  // namespace wgd::crypto
