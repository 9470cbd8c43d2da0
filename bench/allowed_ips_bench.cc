// Allowed-IPs lookup and update rates with 100,000 random prefixes per family.
//
//   build-x/bench/allowed_ips_bench --benchmark_counters_tabular=true
//
// Three tables per family, 100,000 prefixes each:
//   hosts:  a VPN server: one host route per peer, /32s in 10.0.0.0/8, /128s in fd00::/64;
//   routes: a gateway: half host routes as above, the rest /24s (v4) or /64, /56, /48s (v6) in a
//           few provider ranges, plus a tenth of random prefixes of any length;
//   nested: a stress case: prefixes of every length clustered around 64 addresses, so up to a
//           hundred nest over one address and lookups walk up to the deepest node (v6: 19 levels).
// Lookup addresses fall inside a random stored prefix (the data path looks up addresses that
// belong to a peer) and are precomputed, so the loop times the table, not the random generator.
// Each benchmark runs 5 times; read the median row. One iteration is one lookup, so its time is
// the time per lookup and the `lookups` counter is the rate.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "util/ip.h"
#include "wg/allowed_ips.h"

namespace {

using wgd::IpAddress;
using wgd::IpPrefix;
using Table = wgd::wg::AllowedIps<std::uint32_t>;

constexpr int kPrefixes = 100000;
constexpr std::size_t kAddresses = 1 << 20;  // larger than the caches' view of the table
constexpr std::uint32_t kPeers = 50000;

enum class Shape { kHosts, kRoutes, kNested };

struct Workload {
  std::vector<IpPrefix> prefixes;
  std::vector<std::uint32_t> values;
  std::vector<std::array<std::uint8_t, 16>> addresses;  // v4 uses the first 4 bytes
};

std::array<std::uint8_t, 16> random_bytes(std::mt19937_64& rng) {
  std::array<std::uint8_t, 16> b{};
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// `base` with the bits from `keep` on taken from `tail`.
std::array<std::uint8_t, 16> splice(const std::array<std::uint8_t, 16>& base,
                                    const std::array<std::uint8_t, 16>& tail, int keep) {
  std::array<std::uint8_t, 16> out{};
  for (int i = 0; i < 16; ++i) {
    const int k = keep - 8 * i;
    const std::uint8_t m = k >= 8 ? 0xff : k <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - k));
    out[i] = static_cast<std::uint8_t>((base[i] & m) | (tail[i] & ~m));
  }
  return out;
}

Workload make_workload(IpAddress::Family family, Shape shape) {
  const bool v4 = family == IpAddress::Family::kV4;
  const int bits = v4 ? 32 : 128;
  std::mt19937_64 rng(v4 ? 44 : 66);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<std::array<std::uint8_t, 16>> regions(64);
  for (auto& r : regions) r = random_bytes(rng);

  Workload w;
  std::array<std::uint8_t, 16> server{};  // 10.0.0.0/8 or fd00::/64
  server[0] = v4 ? 10 : 0xfd;
  const int server_bits = v4 ? 8 : 64;
  const std::array<std::uint8_t, 16> provider =  // 198.18.0.0/15 or 2001:db8::/32
      v4 ? std::array<std::uint8_t, 16>{198, 18} : std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8};
  const int provider_bits = v4 ? 15 : 32;
  for (int i = 0; i < kPrefixes; ++i) {
    std::array<std::uint8_t, 16> a;
    int len;
    const int pick = uniform(0, 19);
    if (shape == Shape::kHosts || (shape == Shape::kRoutes && pick < 10)) {
      a = splice(server, random_bytes(rng), server_bits);
      len = bits;
    } else if (shape == Shape::kRoutes && pick < 18) {
      a = splice(provider, random_bytes(rng), provider_bits);
      len = v4 ? 24 : pick < 15 ? 64 : pick < 17 ? 56 : 48;
    } else if (shape == Shape::kRoutes) {
      a = random_bytes(rng);
      len = uniform(8, bits);
    } else {
      len = pick < 6 ? bits : pick < 10 ? (v4 ? uniform(20, 31) : uniform(48, 127))
                                        : uniform(8, bits - 1);
      a = uniform(0, 4) == 0 ? random_bytes(rng)
                             : splice(regions[static_cast<std::size_t>(uniform(0, 63))],
                                      random_bytes(rng), uniform(0, bits));
    }
    w.prefixes.push_back(IpPrefix{IpAddress::from_bytes(family, a.data()), len}.canonical());
    w.values.push_back(1 + static_cast<std::uint32_t>(i) % kPeers);
  }
  w.addresses.reserve(kAddresses);
  for (std::size_t i = 0; i < kAddresses; ++i) {
    const IpPrefix& p = w.prefixes[static_cast<std::size_t>(uniform(0, kPrefixes - 1))];
    std::array<std::uint8_t, 16> base{};
    std::copy(p.address.bytes(), p.address.bytes() + p.address.byte_length(), base.begin());
    w.addresses.push_back(splice(base, random_bytes(rng), p.length));
  }
  return w;
}

const Workload& workload(IpAddress::Family family, Shape shape) {
  static const Workload tables[2][3] = {
      {make_workload(IpAddress::Family::kV4, Shape::kHosts),
       make_workload(IpAddress::Family::kV4, Shape::kRoutes),
       make_workload(IpAddress::Family::kV4, Shape::kNested)},
      {make_workload(IpAddress::Family::kV6, Shape::kHosts),
       make_workload(IpAddress::Family::kV6, Shape::kRoutes),
       make_workload(IpAddress::Family::kV6, Shape::kNested)}};
  return tables[family == IpAddress::Family::kV4 ? 0 : 1][static_cast<int>(shape)];
}

Table build(const Workload& w) {
  Table t;
  for (std::size_t i = 0; i < w.prefixes.size(); ++i) t.insert(w.prefixes[i], w.values[i]);
  return t;
}

template <IpAddress::Family kFamily, Shape kShape>
void BM_Lookup(benchmark::State& state) {
  const Workload& w = workload(kFamily, kShape);
  const Table table = build(w);
  std::size_t i = 0;
  std::size_t misses = 0;
  for (auto _ : state) {
    const std::uint8_t* a = w.addresses[i++ & (kAddresses - 1)].data();
    const std::uint32_t v =
        kFamily == IpAddress::Family::kV4 ? table.lookup_v4(a) : table.lookup_v6(a);
    misses += v == 0;
    benchmark::DoNotOptimize(v);
  }
  if (misses) state.SkipWithError("an address inside a stored prefix found no peer");
  state.counters["lookups"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["bytes/prefix"] =
      static_cast<double>(table.memory_bytes()) / static_cast<double>(table.size());
}

template <IpAddress::Family kFamily, Shape kShape>
void BM_Insert(benchmark::State& state) {
  const Workload& w = workload(kFamily, kShape);
  for (auto _ : state) {
    Table t = build(w);
    benchmark::DoNotOptimize(t.size());
    state.PauseTiming();
    t = Table{};  // the free is not part of the insert rate
    state.ResumeTiming();
  }
  state.counters["inserts"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kPrefixes, benchmark::Counter::kIsRate);
}

// Removing every peer one by one: remove_all must cost the peer's prefixes, not the table.
template <IpAddress::Family kFamily, Shape kShape>
void BM_RemoveAll(benchmark::State& state) {
  const Workload& w = workload(kFamily, kShape);
  for (auto _ : state) {
    state.PauseTiming();
    Table t = build(w);
    state.ResumeTiming();
    for (std::uint32_t v = 1; v <= kPeers; ++v) t.remove_all(v);
    benchmark::DoNotOptimize(t.size());
  }
  state.counters["prefixes_removed"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kPrefixes, benchmark::Counter::kIsRate);
}

constexpr auto kV4 = IpAddress::Family::kV4;
constexpr auto kV6 = IpAddress::Family::kV6;

#define WGD_LOOKUP(family, shape, name) \
  BENCHMARK(BM_Lookup<family, shape>)->Name(name)->Repetitions(5)->ReportAggregatesOnly(true)
WGD_LOOKUP(kV4, Shape::kHosts, "lookup_v4/hosts_100k");
WGD_LOOKUP(kV4, Shape::kRoutes, "lookup_v4/routes_100k");
WGD_LOOKUP(kV4, Shape::kNested, "lookup_v4/nested_100k");
WGD_LOOKUP(kV6, Shape::kHosts, "lookup_v6/hosts_100k");
WGD_LOOKUP(kV6, Shape::kRoutes, "lookup_v6/routes_100k");
WGD_LOOKUP(kV6, Shape::kNested, "lookup_v6/nested_100k");
#undef WGD_LOOKUP

#define WGD_UPDATE(bm, family, shape, name)                                 \
  BENCHMARK(bm<family, shape>)                                              \
      ->Name(name)                                                          \
      ->Unit(benchmark::kMillisecond)                                       \
      ->Repetitions(5)                                                      \
      ->ReportAggregatesOnly(true)
WGD_UPDATE(BM_Insert, kV4, Shape::kHosts, "insert_v4/hosts_100k");
WGD_UPDATE(BM_Insert, kV4, Shape::kNested, "insert_v4/nested_100k");
WGD_UPDATE(BM_Insert, kV6, Shape::kHosts, "insert_v6/hosts_100k");
WGD_UPDATE(BM_Insert, kV6, Shape::kNested, "insert_v6/nested_100k");
WGD_UPDATE(BM_RemoveAll, kV4, Shape::kHosts, "remove_all_v4/hosts_100k");
WGD_UPDATE(BM_RemoveAll, kV6, Shape::kHosts, "remove_all_v6/hosts_100k");
#undef WGD_UPDATE

}  // namespace

BENCHMARK_MAIN();
