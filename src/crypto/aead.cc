// The data path's ChaCha20-Poly1305: each packet goes to the library that is faster at its
// size. OpenSSL 3's provider costs ~0.6 us per call whatever the size (nonce set-up, the
// Poly1305 key, the tag through its parameter interface; through EVP it was ~0.7 us);
// libsodium is a plain function call, and its AVX2 code (once sodium_init() has picked it)
// keeps up with OpenSSL's AVX-512 code until about a kilobyte. Medians of 3 runs of
// bench/crypto_bench.cc through EVP, seal / open in ns, OpenSSL against libsodium: 96 bytes
// 692 / 694 against 402 / 392; 512 bytes 800 / 701 against 551 / 573; 1024 bytes 785 / 816
// against 853 / 929 (an earlier run had libsodium ahead there: even); 1420 bytes 1091 / 1068
// against 1375 / 1614. Through the provider's functions (aead_openssl.cc) OpenSSL is ~60 ns
// faster at every size, which leaves the threshold where it was. Both implement RFC 8439, so
// the bytes are the same whichever seals and whichever opens (aead_test.cc checks it).
#include "crypto/aead.h"

namespace wgd::crypto {
namespace {

// Plaintexts (seal) and ciphertexts without their tag (open) up to this size go to libsodium.
constexpr std::size_t kSodiumUpTo = 512;

}  // namespace

void chacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan plaintext, ByteSpan ad) {
  if (plaintext.size() <= kSodiumUpTo)
    return sodium::chacha20poly1305_seal(out, key, nonce, plaintext, ad);
  openssl::chacha20poly1305_seal(out, key, nonce, plaintext, ad);
}

bool chacha20poly1305_open(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan ciphertext, ByteSpan ad) {
  if (ciphertext.size() <= kSodiumUpTo + kAeadTagSize)
    return sodium::chacha20poly1305_open(out, key, nonce, ciphertext, ad);
  return openssl::chacha20poly1305_open(out, key, nonce, ciphertext, ad);
}

}  // namespace wgd::crypto
