// ChaCha20-Poly1305 over OpenSSL 3 EVP. One cipher context per thread and direction is kept
// alive, so a packet costs a re-key (a copy, for ChaCha20) and no allocation.
#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "crypto/aead.h"

namespace wgd::crypto::openssl {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

[[noreturn]] void die() {
  // EVP only fails here on allocation failure or a broken library: not recoverable per packet.
  std::abort();
}

EVP_CIPHER_CTX* context(bool encrypt) {
  thread_local CtxPtr enc, dec;
  CtxPtr& slot = encrypt ? enc : dec;
  if (!slot) {
    slot.reset(EVP_CIPHER_CTX_new());
    if (!slot || EVP_CipherInit_ex2(slot.get(), EVP_chacha20_poly1305(), nullptr, nullptr,
                                    encrypt ? 1 : 0, nullptr) != 1)
      die();
  }
  return slot.get();
}

}  // namespace

void chacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan plaintext, ByteSpan ad) {
  EVP_CIPHER_CTX* ctx = context(true);
  int len = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, key.data(), nonce.data(), 1, nullptr) != 1) die();
  if (!ad.empty() && EVP_CipherUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1)
    die();
  if (!plaintext.empty() && EVP_CipherUpdate(ctx, out.data(), &len, plaintext.data(),
                                             static_cast<int>(plaintext.size())) != 1)
    die();
  if (EVP_CipherFinal_ex(ctx, out.data() + plaintext.size(), &len) != 1) die();
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize,
                          out.data() + plaintext.size()) != 1)
    die();
}

bool chacha20poly1305_open(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan ciphertext, ByteSpan ad) {
  if (ciphertext.size() < kAeadTagSize) return false;
  const std::size_t body = ciphertext.size() - kAeadTagSize;
  EVP_CIPHER_CTX* ctx = context(false);
  int len = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, key.data(), nonce.data(), 0, nullptr) != 1) die();
  // The tag is copied out first: with in-place decryption the plaintext may overwrite it.
  std::uint8_t tag[kAeadTagSize];
  std::memcpy(tag, ciphertext.data() + body, kAeadTagSize);
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize, tag) != 1) die();
  if (!ad.empty() && EVP_CipherUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1)
    die();
  if (body != 0 &&
      EVP_CipherUpdate(ctx, out.data(), &len, ciphertext.data(), static_cast<int>(body)) != 1)
    die();
  return EVP_CipherFinal_ex(ctx, out.data() + body, &len) == 1;
}

}  // namespace wgd::crypto::openssl
