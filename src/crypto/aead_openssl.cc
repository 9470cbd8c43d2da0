// ChaCha20-Poly1305 over OpenSSL 3, called through the default provider's dispatch table
// rather than through EVP.
//
// Why not EVP: every EVP_CipherInit_ex2 that sets a nonce asks the provider for the nonce length
// through its parameter machinery (EVP_CIPHER_CTX_get_iv_length: OSSL_PARAM lists, strcmp), and
// every EVP_CIPHER_CTX_ctrl for the tag is translated into another parameter call. Skipping that
// layer saved ~160 of 1,190 ns per 1420-byte seal in a standalone loop, and 40-140 ns per seal
// or open in crypto_bench's alternating runs (docs/performance.md). The
// provider's own functions (OSSL_PROVIDER_query_operation, the public provider API) run the same
// OpenSSL code underneath — the same AVX-512 ChaCha20 and Poly1305 — without that layer.
//
// One provider context per thread and direction is kept alive and remembers its key:
// consecutive packets of one session (the common case) only set the nonce.
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "crypto/aead.h"

namespace wgd::crypto::openssl {
namespace {

[[noreturn]] void die() {
  // Only on allocation failure or a broken library: not recoverable per packet.
  std::abort();
}

// The functions of the default provider's ChaCha20-Poly1305, looked up once per process.
struct Cipher {
  OSSL_PROVIDER* provider = nullptr;
  OSSL_FUNC_cipher_newctx_fn* newctx = nullptr;
  OSSL_FUNC_cipher_freectx_fn* freectx = nullptr;
  OSSL_FUNC_cipher_encrypt_init_fn* encrypt_init = nullptr;
  OSSL_FUNC_cipher_decrypt_init_fn* decrypt_init = nullptr;
  OSSL_FUNC_cipher_update_fn* update = nullptr;
  OSSL_FUNC_cipher_final_fn* final = nullptr;
  OSSL_FUNC_cipher_get_ctx_params_fn* get_ctx_params = nullptr;
  OSSL_FUNC_cipher_set_ctx_params_fn* set_ctx_params = nullptr;

  bool complete() const {
    return newctx && freectx && encrypt_init && decrypt_init && update && final && get_ctx_params &&
           set_ctx_params;
  }
};

bool names_chacha20_poly1305(const char* names) {
  // algorithm_names is a colon-separated list of aliases.
  std::string_view rest(names);
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    if (rest.substr(0, colon) == "ChaCha20-Poly1305") return true;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

Cipher find_cipher() {
  Cipher c;
  // Loading "default" takes a reference that is never dropped: the table must stay valid for
  // the life of the process (thread-local contexts are freed after main returns).
  c.provider = OSSL_PROVIDER_load(nullptr, "default");
  if (!c.provider) die();
  int no_store = 0;
  const OSSL_ALGORITHM* algorithms =
      OSSL_PROVIDER_query_operation(c.provider, OSSL_OP_CIPHER, &no_store);
  for (const OSSL_ALGORITHM* a = algorithms; a && a->algorithm_names; ++a) {
    if (!names_chacha20_poly1305(a->algorithm_names)) continue;
    for (const OSSL_DISPATCH* f = a->implementation; f->function_id != 0; ++f) {
      switch (f->function_id) {
        case OSSL_FUNC_CIPHER_NEWCTX:
          c.newctx = OSSL_FUNC_cipher_newctx(f);
          break;
        case OSSL_FUNC_CIPHER_FREECTX:
          c.freectx = OSSL_FUNC_cipher_freectx(f);
          break;
        case OSSL_FUNC_CIPHER_ENCRYPT_INIT:
          c.encrypt_init = OSSL_FUNC_cipher_encrypt_init(f);
          break;
        case OSSL_FUNC_CIPHER_DECRYPT_INIT:
          c.decrypt_init = OSSL_FUNC_cipher_decrypt_init(f);
          break;
        case OSSL_FUNC_CIPHER_UPDATE:
          c.update = OSSL_FUNC_cipher_update(f);
          break;
        case OSSL_FUNC_CIPHER_FINAL:
          c.final = OSSL_FUNC_cipher_final(f);
          break;
        case OSSL_FUNC_CIPHER_GET_CTX_PARAMS:
          c.get_ctx_params = OSSL_FUNC_cipher_get_ctx_params(f);
          break;
        case OSSL_FUNC_CIPHER_SET_CTX_PARAMS:
          c.set_ctx_params = OSSL_FUNC_cipher_set_ctx_params(f);
          break;
        default:
          break;
      }
    }
    break;
  }
  OSSL_PROVIDER_unquery_operation(c.provider, OSSL_OP_CIPHER, algorithms);
  if (!c.complete()) die();
  return c;
}

const Cipher& cipher() {
  static const Cipher c = find_cipher();
  return c;
}

// A thread's provider context for one direction, and the key it currently holds.
class KeyedContext {
 public:
  explicit KeyedContext(bool encrypt)
      : encrypt_(encrypt),
        ctx_(cipher().newctx(OSSL_PROVIDER_get0_provider_ctx(cipher().provider))) {
    if (!ctx_) die();
  }
  ~KeyedContext() { cipher().freectx(ctx_); }
  KeyedContext(const KeyedContext&) = delete;
  KeyedContext& operator=(const KeyedContext&) = delete;

  // The context, initialised for `key` and `nonce`.
  void* start(KeyBytes key, const AeadNonce& nonce) {
    const bool same_key = keyed_ && CRYPTO_memcmp(key_.data(), key.data(), kKeySize) == 0;
    const std::uint8_t* k = same_key ? nullptr : key.data();
    const std::size_t k_len = same_key ? 0 : kKeySize;
    const int ok = encrypt_
                       ? cipher().encrypt_init(ctx_, k, k_len, nonce.data(), nonce.size(), nullptr)
                       : cipher().decrypt_init(ctx_, k, k_len, nonce.data(), nonce.size(), nullptr);
    if (ok != 1) die();
    if (!same_key) {
      std::memcpy(key_.data(), key.data(), kKeySize);
      keyed_ = true;
    }
    return ctx_;
  }

 private:
  const bool encrypt_;
  void* ctx_;
  Secret<kKeySize> key_;  // wiped when the thread ends
  bool keyed_ = false;
};

KeyedContext& context(bool encrypt) {
  thread_local KeyedContext enc(true), dec(false);
  return encrypt ? enc : dec;
}

void feed_ad(void* ctx, ByteSpan ad) {
  std::size_t len = 0;
  // A null output marks the input as associated data. The output size is the input's, as EVP
  // passes it: the provider checks it before it looks at the null output.
  if (!ad.empty() && cipher().update(ctx, nullptr, &len, ad.size(), ad.data(), ad.size()) != 1)
    die();
}

}  // namespace

void chacha20poly1305_seal(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan plaintext, ByteSpan ad) {
  void* ctx = context(true).start(key, nonce);
  feed_ad(ctx, ad);
  std::size_t len = 0;
  if (!plaintext.empty() && cipher().update(ctx, out.data(), &len, plaintext.size(),
                                            plaintext.data(), plaintext.size()) != 1)
    die();
  std::uint8_t* tag = out.data() + plaintext.size();
  if (cipher().final(ctx, tag, &len, kAeadTagSize) != 1) die();
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kAeadTagSize),
      OSSL_PARAM_construct_end()};
  if (cipher().get_ctx_params(ctx, params) != 1) die();
}

bool chacha20poly1305_open(MutableByteSpan out, KeyBytes key, const AeadNonce& nonce,
                           ByteSpan ciphertext, ByteSpan ad) {
  if (ciphertext.size() < kAeadTagSize) return false;
  const std::size_t body = ciphertext.size() - kAeadTagSize;
  void* ctx = context(false).start(key, nonce);
  // The tag is copied out first: with in-place decryption the plaintext may overwrite it.
  std::uint8_t tag[kAeadTagSize];
  std::memcpy(tag, ciphertext.data() + body, kAeadTagSize);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kAeadTagSize),
      OSSL_PARAM_construct_end()};
  if (cipher().set_ctx_params(ctx, params) != 1) die();
  feed_ad(ctx, ad);
  std::size_t len = 0;
  if (body != 0 && cipher().update(ctx, out.data(), &len, body, ciphertext.data(), body) != 1)
    die();
  return cipher().final(ctx, out.data() + body, &len, 0) == 1;
}

}  // namespace wgd::crypto::openssl
