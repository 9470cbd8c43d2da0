#include "crypto/blake2s.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdlib>
#include <memory>

namespace wgd::crypto {
namespace {

[[noreturn]] void die() { std::abort(); }  // only on allocation failure or a broken libcrypto

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

const EVP_MD* blake2s_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
    if (!m) die();
    return m;
  }();
  return md;
}

EVP_MD_CTX* md_context() {
  thread_local MdCtxPtr ctx{EVP_MD_CTX_new()};
  if (!ctx) die();
  return ctx.get();
}

// A per-thread MAC context of the given algorithm with its fixed parameters set once;
// EVP_MAC_init then only re-keys it per call.
EVP_MAC_CTX* make_mac_context(const char* algorithm, const OSSL_PARAM* params) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, algorithm, nullptr);
  if (!mac) die();
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context keeps its own reference
  if (!ctx || EVP_MAC_CTX_set_params(ctx, params) != 1) die();
  return ctx;
}

EVP_MAC_CTX* blake2s_mac_context() {
  thread_local MacCtxPtr ctx{[] {
    std::size_t size = kMacSize;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                           OSSL_PARAM_construct_end()};
    return make_mac_context("BLAKE2SMAC", params);
  }()};
  return ctx.get();
}

// Other output sizes (tests, not the packet path) get a fresh context each time.
MacCtxPtr blake2s_mac_context_of_size(std::size_t size) {
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                         OSSL_PARAM_construct_end()};
  return MacCtxPtr{make_mac_context("BLAKE2SMAC", params)};
}

EVP_MAC_CTX* hmac_context() {
  thread_local MacCtxPtr ctx{[] {
    char digest[] = "BLAKE2S-256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    return make_mac_context("HMAC", params);
  }()};
  return ctx.get();
}

void mac_run(EVP_MAC_CTX* ctx, ByteSpan key, std::initializer_list<ByteSpan> parts,
             std::uint8_t* out, std::size_t out_size) {
  // EVP_MAC_init with a null key means "keep the previous key"; an empty key must still be
  // passed as a non-null pointer.
  static const std::uint8_t empty = 0;
  if (EVP_MAC_init(ctx, key.empty() ? &empty : key.data(), key.size(), nullptr) != 1) die();
  for (ByteSpan p : parts)
    if (!p.empty() && EVP_MAC_update(ctx, p.data(), p.size()) != 1) die();
  std::size_t written = 0;
  if (EVP_MAC_final(ctx, out, &written, out_size) != 1 || written != out_size) die();
}

}  // namespace

Hash blake2s256(std::initializer_list<ByteSpan> parts) {
  EVP_MD_CTX* ctx = md_context();
  if (EVP_DigestInit_ex2(ctx, blake2s_md(), nullptr) != 1) die();
  for (ByteSpan p : parts)
    if (!p.empty() && EVP_DigestUpdate(ctx, p.data(), p.size()) != 1) die();
  Hash out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) die();
  return out;
}

Mac blake2s_mac(ByteSpan key, std::initializer_list<ByteSpan> parts) {
  Mac out;
  mac_run(blake2s_mac_context(), key, parts, out.data(), out.size());
  return out;
}

void blake2s_keyed(MutableByteSpan out, ByteSpan key, std::initializer_list<ByteSpan> parts) {
  if (out.size() == kMacSize) {
    mac_run(blake2s_mac_context(), key, parts, out.data(), out.size());
    return;
  }
  MacCtxPtr ctx = blake2s_mac_context_of_size(out.size());
  mac_run(ctx.get(), key, parts, out.data(), out.size());
}

Secret<kHashSize> hmac_blake2s(ByteSpan key, std::initializer_list<ByteSpan> parts) {
  Secret<kHashSize> out;
  mac_run(hmac_context(), key, parts, out.data(), out.size());
  return out;
}

void kdf(std::span<Secret<kHashSize>* const> outputs, ByteSpan key, ByteSpan input) {
  Secret<kHashSize> t0 = hmac_blake2s(key, {input});
  std::uint8_t counter = 1;
  ByteSpan previous;
  for (Secret<kHashSize>* out : outputs) {
    *out = hmac_blake2s(t0.span(), {previous, ByteSpan(&counter, 1)});
    previous = out->span();
    ++counter;
  }
}

}  // namespace wgd::crypto
