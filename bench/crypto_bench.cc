// The primitives under the protocol core, measured alone: the reference the core's figures
// (bench/core_bench.cc) are read against.
//
//   build-x/bench/crypto_bench --benchmark_counters_tabular=true
//
// - ChaCha20-Poly1305 seal/open at 96 to 1420 bytes (1420: a full packet at the default MTU)
//   through the crypto layer's two implementations, OpenSSL 3 EVP and libsodium, and the data
//   path's choice between them by size;
// - X25519 as the crypto layer does it: one DH (libsodium), one public-key derivation
//   (libdecaf's fixed-base multiplication), each beside what it replaced or was chosen over:
//   libsodium's crypto_scalarmult_base and OpenSSL's DH, since handshakes are bound by these;
// - BLAKE2s: mac1 over an initiation, the first check every handshake message meets.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/init.h"
#include "crypto/x25519.h"

namespace {

using namespace wgd;
using namespace wgd::crypto;

constexpr std::size_t kPacket = 1420;

using SealFn = void (*)(MutableByteSpan, KeyBytes, const AeadNonce&, ByteSpan, ByteSpan);
using OpenFn = bool (*)(MutableByteSpan, KeyBytes, const AeadNonce&, ByteSpan, ByteSpan);

std::array<std::uint8_t, kKeySize> test_key() {
  std::array<std::uint8_t, kKeySize> k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 13 + 1);
  return k;
}

void seal(benchmark::State& state, SealFn fn) {
  const auto key = test_key();
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> plain(n, 0x5a), out(n + kAeadTagSize);
  std::uint64_t counter = 0;
  for (auto _ : state) {
    fn(out, key, counter_nonce(counter++), plain, {});
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void open(benchmark::State& state, SealFn seal_fn, OpenFn fn) {
  const auto key = test_key();
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> plain(n, 0x5a), sealed(n + kAeadTagSize), out(n);
  const AeadNonce nonce = counter_nonce(7);
  seal_fn(sealed, key, nonce, plain, {});
  for (auto _ : state) {
    if (!fn(out, key, nonce, sealed, {})) state.SkipWithError("does not authenticate");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// 1420 bytes (a full packet at the default MTU) and the small sizes where per-call overhead, not
// the cipher, decides (a 64-byte datagram is sealed as 96 bytes: IP + UDP headers, padding).
void packet_sizes(benchmark::internal::Benchmark* b) {
  for (int n : {96, 256, 512, 1024, static_cast<int>(kPacket)}) b->Arg(n);
}
BENCHMARK_CAPTURE(seal, openssl, &openssl::chacha20poly1305_seal)->Apply(packet_sizes);
BENCHMARK_CAPTURE(seal, sodium, &sodium::chacha20poly1305_seal)->Apply(packet_sizes);
BENCHMARK_CAPTURE(seal, data_path, &chacha20poly1305_seal)->Apply(packet_sizes);
BENCHMARK_CAPTURE(open, openssl, &openssl::chacha20poly1305_seal, &openssl::chacha20poly1305_open)
    ->Apply(packet_sizes);
BENCHMARK_CAPTURE(open, sodium, &sodium::chacha20poly1305_seal, &sodium::chacha20poly1305_open)
    ->Apply(packet_sizes);
BENCHMARK_CAPTURE(open, data_path, &chacha20poly1305_seal, &chacha20poly1305_open)
    ->Apply(packet_sizes);

void x25519_sodium(benchmark::State& state) {
  const PrivateKey ours = x25519_generate();
  const PublicKey theirs = x25519_public(x25519_generate());
  for (auto _ : state) {
    auto shared = x25519(ours, theirs);
    if (!shared) state.SkipWithError("zero DH");
    benchmark::DoNotOptimize(shared);
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(x25519_sodium);

void x25519_public_decaf(benchmark::State& state) {
  PrivateKey k = x25519_generate();
  for (auto _ : state) {
    const PublicKey p = x25519_public(k);
    k.data()[1] ^= p[0];
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(x25519_public_decaf);

// What x25519_public used until 2026-12-07, for reference. After sodium_init(), as the crypto
// layer runs libsodium: before it, libsodium uses its portable code, a different algorithm.
void x25519_public_sodium_reference(benchmark::State& state) {
  ensure_initialized();
  PrivateKey k = x25519_generate();
  PublicKey p;
  for (auto _ : state) {
    if (crypto_scalarmult_base(p.data(), k.data()) != 0) state.SkipWithError("scalarmult_base");
    k.data()[1] ^= p[0];
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(x25519_public_sodium_reference);

// OpenSSL's X25519 (EVP_PKEY_derive), for reference only: the crypto layer uses libsodium.
struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

void x25519_openssl_reference(benchmark::State& state) {
  const PrivateKey ours = x25519_generate();
  const PublicKey theirs = x25519_public(x25519_generate());
  std::unique_ptr<EVP_PKEY, PkeyDeleter> priv(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, ours.data(), ours.size()));
  std::unique_ptr<EVP_PKEY, PkeyDeleter> peer(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, theirs.data(), theirs.size()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  if (!priv || !peer || !ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    state.SkipWithError("OpenSSL X25519 unavailable");
    return;
  }
  std::array<std::uint8_t, 32> shared{};
  for (auto _ : state) {
    std::size_t len = shared.size();
    if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1) state.SkipWithError("derive");
    benchmark::DoNotOptimize(shared.data());
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(x25519_openssl_reference);

void blake2s_mac1(benchmark::State& state) {
  const auto key = test_key();
  std::array<std::uint8_t, 116> initiation_before_mac1{};  // what mac1 covers in an initiation
  for (auto _ : state) {
    const Mac m = blake2s_mac(key, {initiation_before_mac1});
    initiation_before_mac1[0] ^= m[0];
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(blake2s_mac1);

}  // namespace

BENCHMARK_MAIN();
