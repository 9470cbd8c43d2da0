#include "wg/allowed_ips.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace wgd::wg {
namespace {

struct Peer {
  int id;
};

IpPrefix P(const char* text) {
  auto p = IpPrefix::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(IpPrefix{});
}
IpAddress A(const char* text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

// ---------------------------------------------------------------------------------------------
// Unit cases

TEST(AllowedIps, EmptyTableMatchesNothing) {
  AllowedIps<const Peer*> t;
  EXPECT_EQ(t.lookup(A("10.0.0.1")), nullptr);
  EXPECT_EQ(t.lookup(A("2001:db8::1")), nullptr);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.prefixes_of(nullptr).empty());
}

TEST(AllowedIps, OverlappingPrefixesPickTheLongest) {
  Peer a{1}, b{2}, c{3}, d{4}, e{5};
  AllowedIps<const Peer*> t;
  t.insert(P("10.0.0.0/8"), &a);
  t.insert(P("10.1.0.0/16"), &b);
  t.insert(P("10.1.2.0/24"), &c);
  t.insert(P("10.1.2.3/32"), &d);
  t.insert(P("10.1.2.128/25"), &e);
  EXPECT_EQ(t.lookup(A("10.200.0.1")), &a);
  EXPECT_EQ(t.lookup(A("10.1.200.1")), &b);
  EXPECT_EQ(t.lookup(A("10.1.2.4")), &c);
  EXPECT_EQ(t.lookup(A("10.1.2.3")), &d);
  EXPECT_EQ(t.lookup(A("10.1.2.200")), &e);
  EXPECT_EQ(t.lookup(A("11.0.0.1")), nullptr);
  EXPECT_EQ(t.lookup(A("9.255.255.255")), nullptr);

  t.insert(P("2001:db8::/32"), &a);
  t.insert(P("2001:db8:1::/48"), &b);
  t.insert(P("2001:db8:1:2::/64"), &c);
  t.insert(P("2001:db8:1:2::3/128"), &d);
  t.insert(P("2001:db8:1:2::2/127"), &e);
  EXPECT_EQ(t.lookup(A("2001:db8:ffff::1")), &a);
  EXPECT_EQ(t.lookup(A("2001:db8:1:ffff::1")), &b);
  EXPECT_EQ(t.lookup(A("2001:db8:1:2::4")), &c);
  EXPECT_EQ(t.lookup(A("2001:db8:1:2::3")), &d);
  EXPECT_EQ(t.lookup(A("2001:db8:1:2::2")), &e);
  EXPECT_EQ(t.lookup(A("2001:db9::1")), nullptr);
  EXPECT_EQ(t.size(), 10u);
}

TEST(AllowedIps, ReinsertMovesThePrefixToTheNewValue) {
  Peer a{1}, b{2};
  AllowedIps<const Peer*> t;
  t.insert(P("192.0.2.0/24"), &a);
  t.insert(P("192.0.2.0/24"), &b);
  EXPECT_EQ(t.lookup(A("192.0.2.7")), &b);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.prefixes_of(&a).empty());
  EXPECT_EQ(t.prefixes_of(&b), std::vector<IpPrefix>{P("192.0.2.0/24")});
  // Short prefixes (expanded into the first level) move too.
  t.insert(P("0.0.0.0/0"), &a);
  t.insert(P("0.0.0.0/0"), &b);
  EXPECT_EQ(t.lookup(A("203.0.113.1")), &b);
  t.insert(P("2001:db8::1/128"), &a);
  t.insert(P("2001:db8::1/128"), &b);
  EXPECT_EQ(t.lookup(A("2001:db8::1")), &b);
  EXPECT_EQ(t.size(), 3u);
}

TEST(AllowedIps, RemoveOnlyWhenTheValueMatches) {
  Peer a{1}, b{2};
  AllowedIps<const Peer*> t;
  t.insert(P("198.51.100.0/24"), &a);
  t.insert(P("10.0.0.0/8"), &a);
  EXPECT_FALSE(t.remove(P("198.51.100.0/24"), &b));
  EXPECT_EQ(t.lookup(A("198.51.100.1")), &a);
  EXPECT_FALSE(t.remove(P("198.51.100.0/25"), &a));  // not the same prefix
  EXPECT_FALSE(t.remove(P("10.0.0.0/8"), &b));
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.remove(P("198.51.100.0/24"), &a));
  EXPECT_EQ(t.lookup(A("198.51.100.1")), nullptr);
  EXPECT_FALSE(t.remove(P("198.51.100.0/24"), &a));
  EXPECT_TRUE(t.remove(P("10.0.0.0/8"), &a));
  EXPECT_EQ(t.lookup(A("10.1.1.1")), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(AllowedIps, HostBitsAreMasked) {
  Peer a{1};
  AllowedIps<const Peer*> t;
  t.insert(P("10.1.2.3/8"), &a);
  EXPECT_EQ(t.prefixes_of(&a), std::vector<IpPrefix>{P("10.0.0.0/8")});
  EXPECT_EQ(t.lookup(A("10.200.0.1")), &a);
  t.insert(P("2001:db8::ffff/64"), &a);
  EXPECT_EQ(t.prefixes_of(&a)[1], P("2001:db8::/64"));
  EXPECT_EQ(t.lookup(A("2001:db8::1234")), &a);
  // Any spelling of the same prefix finds it.
  EXPECT_TRUE(t.remove(P("10.9.9.9/8"), &a));
  EXPECT_TRUE(t.remove(P("2001:db8::1/64"), &a));
  EXPECT_EQ(t.size(), 0u);
}

TEST(AllowedIps, FamiliesAreIndependent) {
  Peer a{1}, b{2};
  AllowedIps<const Peer*> t;
  t.insert(P("0.0.0.0/0"), &a);
  EXPECT_EQ(t.lookup(A("192.0.2.1")), &a);
  EXPECT_EQ(t.lookup(A("::1")), nullptr);
  EXPECT_EQ(t.lookup(A("::ffff:192.0.2.1")), nullptr);  // a mapped address is IPv6 here
  t.insert(P("::/0"), &b);
  EXPECT_EQ(t.lookup(A("2001:db8::1")), &b);
  EXPECT_EQ(t.lookup(A("192.0.2.1")), &a);
  // 10.0.0.0/8 and 0a00::/8 share their first bits but not their table.
  t.insert(P("10.0.0.0/8"), &b);
  EXPECT_EQ(t.lookup(A("a00::1")), &b);  // from ::/0, not from 10.0.0.0/8
  EXPECT_TRUE(t.remove(P("::/0"), &b));
  EXPECT_EQ(t.lookup(A("a00::1")), nullptr);
  EXPECT_EQ(t.lookup(A("10.0.0.1")), &b);
}

TEST(AllowedIps, RawByteLookupsMatchAddressLookups) {
  Peer a{1}, b{2};
  AllowedIps<const Peer*> t;
  t.insert(P("203.0.113.0/24"), &a);
  t.insert(P("2001:db8:0:1::/64"), &b);
  const std::array<std::uint8_t, 4> v4{203, 0, 113, 9};
  std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
  v6[15] = 1;
  EXPECT_EQ(t.lookup_v4(v4.data()), &a);
  EXPECT_EQ(t.lookup_v6(v6.data()), &b);
  v6[7] = 2;
  EXPECT_EQ(t.lookup_v6(v6.data()), nullptr);
}

TEST(AllowedIps, PrefixesOfKeepsInsertionOrderAndCanonicalForm) {
  Peer a{1}, b{2};
  AllowedIps<const Peer*> t;
  t.insert(P("10.0.0.1/32"), &a);
  t.insert(P("2001:db8::7/120"), &a);
  t.insert(P("192.0.2.77/24"), &a);
  t.insert(P("198.51.100.0/24"), &b);
  t.insert(P("0.0.0.0/0"), &a);
  // Moving a prefix away and back puts it at the end; re-inserting with the same value does not.
  t.insert(P("2001:db8::/120"), &b);
  t.insert(P("2001:db8::/120"), &a);
  t.insert(P("10.0.0.1/32"), &a);
  EXPECT_EQ(t.prefixes_of(&a), (std::vector<IpPrefix>{P("10.0.0.1/32"), P("192.0.2.0/24"),
                                                      P("0.0.0.0/0"), P("2001:db8::/120")}));
  EXPECT_EQ(t.prefixes_of(&b), std::vector<IpPrefix>{P("198.51.100.0/24")});
  EXPECT_TRUE(t.remove(P("192.0.2.0/24"), &a));
  EXPECT_EQ(t.prefixes_of(&a),
            (std::vector<IpPrefix>{P("10.0.0.1/32"), P("0.0.0.0/0"), P("2001:db8::/120")}));
}

TEST(AllowedIps, RemoveAllDropsOnlyThatValue) {
  Peer a{1}, b{2};
  AllowedIps<const Peer*> t;
  t.insert(P("10.0.0.0/8"), &a);
  t.insert(P("10.1.0.0/16"), &b);
  t.insert(P("10.1.1.0/24"), &a);
  t.insert(P("2001:db8::/32"), &a);
  t.insert(P("2001:db8::1/128"), &b);
  t.insert(P("0.0.0.0/1"), &a);
  t.remove_all(&a);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.prefixes_of(&a).empty());
  EXPECT_EQ(t.lookup(A("10.1.1.1")), &b);
  EXPECT_EQ(t.lookup(A("10.2.0.1")), nullptr);
  EXPECT_EQ(t.lookup(A("1.1.1.1")), nullptr);
  EXPECT_EQ(t.lookup(A("2001:db8::1")), &b);
  EXPECT_EQ(t.lookup(A("2001:db8::2")), nullptr);
  t.remove_all(&a);  // nothing left: no effect
  EXPECT_EQ(t.size(), 2u);
}

TEST(AllowedIps, ClearEmptiesAndTheTableIsReusable) {
  Peer a{1};
  AllowedIps<const Peer*> t;
  t.insert(P("10.0.0.0/8"), &a);
  t.insert(P("2001:db8::/32"), &a);
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.lookup(A("10.0.0.1")), nullptr);
  EXPECT_EQ(t.lookup(A("2001:db8::1")), nullptr);
  EXPECT_TRUE(t.prefixes_of(&a).empty());
  EXPECT_EQ(t.memory_bytes(), AllowedIps<const Peer*>{}.memory_bytes());
  t.insert(P("10.0.0.0/8"), &a);
  EXPECT_EQ(t.lookup(A("10.0.0.1")), &a);
}

// Two host routes that share all but their last bit force the deepest split; removing them in
// either order must merge the nodes back so the survivor still matches.
TEST(AllowedIps, SplitsAndMergesAtTheLastBit) {
  Peer a{1}, b{2}, c{3};
  for (bool a_first : {true, false}) {
    AllowedIps<std::uint32_t> t;
    t.insert(P("2001:db8::2/128"), 1);
    t.insert(P("2001:db8::3/128"), 2);
    t.insert(P("2001:db8::/64"), 3);
    EXPECT_EQ(t.lookup(A("2001:db8::2")), 1u);
    EXPECT_EQ(t.lookup(A("2001:db8::3")), 2u);
    EXPECT_EQ(t.lookup(A("2001:db8::4")), 3u);
    EXPECT_TRUE(t.remove(P("2001:db8::/64"), 3));
    EXPECT_TRUE(t.remove(P(a_first ? "2001:db8::2/128" : "2001:db8::3/128"), a_first ? 1 : 2));
    EXPECT_EQ(t.lookup(A("2001:db8::2")), a_first ? 0u : 1u);
    EXPECT_EQ(t.lookup(A("2001:db8::3")), a_first ? 2u : 0u);
    EXPECT_EQ(t.lookup(A("2001:db8::4")), 0u);
  }
  AllowedIps<const Peer*> t;
  t.insert(P("10.0.0.0/32"), &a);
  t.insert(P("10.0.0.1/32"), &b);
  t.insert(P("10.0.0.0/31"), &c);
  EXPECT_EQ(t.lookup(A("10.0.0.0")), &a);
  EXPECT_EQ(t.lookup(A("10.0.0.1")), &b);
  EXPECT_TRUE(t.remove(P("10.0.0.1/32"), &b));
  EXPECT_EQ(t.lookup(A("10.0.0.1")), &c);
  EXPECT_EQ(t.lookup(A("10.0.0.2")), nullptr);
}

// A server with 10,000 peers, each with one IPv4 /32 and one IPv6 /128, must stay small.
TEST(AllowedIps, MemoryForTenThousandPeers) {
  std::vector<Peer> peers(10000);
  AllowedIps<const Peer*> t;
  for (std::uint32_t i = 0; i < peers.size(); ++i) {
    peers[i].id = static_cast<int>(i);
    const std::uint32_t host = 2 + i;
    t.insert(IpPrefix{IpAddress::v4(0x0a000000u | host), 32}, &peers[i]);
    std::array<std::uint8_t, 16> v6{0xfd, 0x00, 0x00, 0x42};
    v6[12] = static_cast<std::uint8_t>(host >> 24);
    v6[13] = static_cast<std::uint8_t>(host >> 16);
    v6[14] = static_cast<std::uint8_t>(host >> 8);
    v6[15] = static_cast<std::uint8_t>(host);
    t.insert(IpPrefix{IpAddress::v6(v6), 128}, &peers[i]);
  }
  ASSERT_EQ(t.size(), 20000u);
  EXPECT_EQ(t.lookup(IpAddress::v4(0x0a000000u | 5000)), &peers[4998]);
  const double per_prefix = static_cast<double>(t.memory_bytes()) / static_cast<double>(t.size());
  RecordProperty("bytes_per_prefix", std::to_string(per_prefix));
  std::printf("10,000 peers x (/32 + /128): %zu bytes, %.0f bytes per prefix\n", t.memory_bytes(),
              per_prefix);
  // Includes the two 128 KiB first-level tables and every free list; the table owns the values'
  // chains and the prefixes' text-free records too.
  EXPECT_LT(per_prefix, 200.0);
  for (auto& p : peers) t.remove_all(&p);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.lookup(IpAddress::v4(0x0a000000u | 5000)), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Agreement with trivially correct references on random tables

// An address as two 64-bit halves, built byte by byte (independent of the table's own keys).
struct Bits {
  std::uint64_t hi = 0, lo = 0;
  static Bits of(const IpAddress& a) {
    Bits b;
    for (std::size_t i = 0; i < a.byte_length(); ++i) {
      if (i < 8)
        b.hi |= std::uint64_t{a.bytes()[i]} << (56 - 8 * i);
      else
        b.lo |= std::uint64_t{a.bytes()[i]} << (56 - 8 * (i - 8));
    }
    return b;
  }
  Bits masked(int len) const {
    Bits m;
    m.hi = len == 0 ? 0 : len >= 64 ? hi : hi & (~std::uint64_t{0} << (64 - len));
    m.lo = len <= 64 ? 0 : len >= 128 ? lo : lo & (~std::uint64_t{0} << (128 - len));
    return m;
  }
  friend bool operator==(const Bits&, const Bits&) = default;
};

// The table as a map from (masked address, length) to value, with the insertion order kept.
class Reference {
 public:
  explicit Reference(int bits) : bits_(bits) {}

  void insert(const IpPrefix& p, int value) {
    const Key k{Bits::of(p.address).masked(p.length), p.length};
    auto [it, fresh] = map_.try_emplace(k, Entry{value, 0});
    if (!fresh && it->second.value == value) return;
    it->second = Entry{value, ++sequence_};
  }
  bool remove(const IpPrefix& p, int value) {
    const auto it = map_.find(Key{Bits::of(p.address).masked(p.length), p.length});
    if (it == map_.end() || it->second.value != value) return false;
    map_.erase(it);
    return true;
  }
  // remove_all for every value `drop` says yes to, in one pass.
  template <class Pred>
  void remove_values(Pred drop) {
    std::erase_if(map_, [&](const auto& kv) { return drop(kv.second.value); });
  }
  // Longest-prefix match by definition: try every length, longest first.
  int lookup(const IpAddress& a) const {
    const Bits b = Bits::of(a);
    for (int len = bits_; len >= 0; --len) {
      const auto it = map_.find(Key{b.masked(len), len});
      if (it != map_.end()) return it->second.value;
    }
    return 0;
  }
  // Longest-prefix match by a linear scan over every stored prefix (a flat copy of the map,
  // taken once per batch of lookups: see snapshot()).
  struct Flat {
    Bits bits;
    int length;
    int value;
  };
  std::vector<Flat> snapshot() const {
    std::vector<Flat> out;
    for (const auto& [k, e] : map_) out.push_back(Flat{k.bits, k.length, e.value});
    return out;
  }
  static int lookup_linear(const std::vector<Flat>& all, const IpAddress& a) {
    const Bits b = Bits::of(a);
    int best_len = -1, best = 0;
    for (const Flat& f : all) {
      if (f.length > best_len && b.masked(f.length) == f.bits) {
        best_len = f.length;
        best = f.value;
      }
    }
    return best;
  }
  std::vector<IpPrefix> prefixes_of(int value, IpAddress::Family family) const {
    std::vector<std::pair<std::uint64_t, IpPrefix>> found;
    for (const auto& [k, e] : map_) {
      if (e.value != value) continue;
      std::array<std::uint8_t, 16> bytes{};
      for (int i = 0; i < 16; ++i)
        bytes[i] = static_cast<std::uint8_t>((i < 8 ? k.bits.hi >> (56 - 8 * i)
                                                    : k.bits.lo >> (56 - 8 * (i - 8))));
      found.emplace_back(e.sequence, IpPrefix{IpAddress::from_bytes(family, bytes.data()), k.length});
    }
    std::sort(found.begin(), found.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<IpPrefix> out;
    for (auto& f : found) out.push_back(f.second);
    return out;
  }
  std::size_t size() const { return map_.size(); }
  std::vector<std::pair<IpPrefix, int>> entries(IpAddress::Family family) const {
    std::vector<std::pair<IpPrefix, int>> out;
    for (const auto& [k, e] : map_) {
      std::array<std::uint8_t, 16> bytes{};
      for (int i = 0; i < 16; ++i)
        bytes[i] = static_cast<std::uint8_t>((i < 8 ? k.bits.hi >> (56 - 8 * i)
                                                    : k.bits.lo >> (56 - 8 * (i - 8))));
      out.emplace_back(IpPrefix{IpAddress::from_bytes(family, bytes.data()), k.length}, e.value);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  struct Key {
    Bits bits;
    int length;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::uint64_t h = k.bits.hi * 0x9e3779b97f4a7c15ull ^ k.bits.lo * 0xc2b2ae3d27d4eb4full;
      h ^= static_cast<std::uint64_t>(k.length) * 0x165667b19e3779f9ull;
      return static_cast<std::size_t>(h ^ (h >> 29));
    }
  };
  struct Entry {
    int value;
    std::uint64_t sequence;
  };
  int bits_;
  std::unordered_map<Key, Entry, KeyHash> map_;
  std::uint64_t sequence_ = 0;
};

// Random prefixes that nest and cluster the way routing tables do: most are built from a few
// region addresses with a random tail, so long and short prefixes overlap and share paths.
class Generator {
 public:
  Generator(IpAddress::Family family, std::uint64_t seed) : family_(family), rng_(seed) {
    for (auto& r : regions_) r = random_address();
  }
  int bits() const { return family_ == IpAddress::Family::kV4 ? 32 : 128; }

  IpAddress random_address() {
    std::array<std::uint8_t, 16> b{};
    for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
    return IpAddress::from_bytes(family_, b.data());
  }
  // `base` with every bit from `keep` on replaced by random bits.
  IpAddress with_random_tail(const IpAddress& base, int keep) {
    const IpAddress r = random_address();
    std::array<std::uint8_t, 16> b{};
    for (int i = 0; i < bits(); ++i) {
      const bool bit = i < keep ? base.bit(i) : r.bit(i);
      if (bit) b[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
    }
    return IpAddress::from_bytes(family_, b.data());
  }
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  IpPrefix prefix() {
    const int n = bits();
    int len;
    const int pick = uniform(0, 9);
    if (pick < 3)
      len = n;  // host routes are the common case for a VPN server
    else if (pick < 5)
      len = n == 32 ? uniform(20, 31) : uniform(48, 127);
    else
      len = uniform(15, n - 1);  // shorter ones are added separately: they cover a lot
    const IpAddress& region = regions_[uniform(0, static_cast<int>(regions_.size()) - 1)];
    const IpAddress a = uniform(0, 4) == 0 ? random_address()
                                           : with_random_tail(region, uniform(0, n));
    return IpPrefix{a, len};  // host bits left set on purpose: the table must mask them
  }

  // A third inside stored prefixes (hits, often of longer ones), a third near the regions, a
  // third anywhere (mostly misses while there is no short prefix).
  IpAddress address(const std::vector<IpPrefix>& stored) {
    switch (uniform(0, 2)) {
      case 0:
        if (!stored.empty()) {
          const IpPrefix& p = stored[uniform(0, static_cast<int>(stored.size()) - 1)];
          return with_random_tail(p.address, p.length);
        }
        [[fallthrough]];
      case 1:
        return with_random_tail(regions_[uniform(0, static_cast<int>(regions_.size()) - 1)],
                                uniform(0, bits()));
      default:
        return random_address();
    }
  }

 private:
  IpAddress::Family family_;
  std::mt19937_64 rng_;
  std::array<IpAddress, 64> regions_;
};

constexpr int kPrefixes = 100000;
constexpr int kLookups = 100000;
constexpr int kQuickLookups = 20000;  // for the extra phases beyond the three the brief names
constexpr int kLinearLookups = 200;  // the linear scan is O(table); a sample cross-checks it
constexpr int kValues = 1000;

class RandomAgreement : public ::testing::TestWithParam<IpAddress::Family> {
 protected:
  // Every lookup of a fresh random batch agrees with the reference, and a sample also agrees
  // with the linear scan. Returns how many lookups hit, so callers can check the batch had both.
  int check(const char* phase, int lookups = kLookups) {
    int hits = 0, mismatches = 0;
    const std::vector<IpPrefix> stored = stored_prefixes();
    const std::vector<Reference::Flat> flat = ref_.snapshot();
    for (int i = 0; i < lookups; ++i) {
      const IpAddress a = gen_.address(stored);
      const int expected = ref_.lookup(a);
      const std::uint32_t got = table_.lookup(a);
      const std::uint32_t raw = a.is_v4() ? table_.lookup_v4(a.bytes()) : table_.lookup_v6(a.bytes());
      if (expected != 0) ++hits;
      if (got != static_cast<std::uint32_t>(expected) || raw != got) {
        if (++mismatches <= 10)
          ADD_FAILURE() << phase << ": lookup " << a.to_string() << " gave " << got << " (raw "
                        << raw << "), expected " << expected;
      }
      if (i < kLinearLookups) {
        EXPECT_EQ(Reference::lookup_linear(flat, a), expected) << a.to_string();
      }
    }
    EXPECT_EQ(mismatches, 0) << phase;
    EXPECT_EQ(table_.size(), ref_.size()) << phase;
    return hits;
  }
  std::vector<IpPrefix> stored_prefixes() const {
    std::vector<IpPrefix> out;
    for (const auto& [p, v] : ref_.entries(GetParam())) out.push_back(p);
    return out;
  }
  void insert(const IpPrefix& p, int value) {
    table_.insert(p, static_cast<std::uint32_t>(value));
    ref_.insert(p, value);
  }

  Generator gen_{GetParam(), GetParam() == IpAddress::Family::kV4 ? 4u : 6u};
  Reference ref_{GetParam() == IpAddress::Family::kV4 ? 32 : 128};
  AllowedIps<std::uint32_t> table_;
};

TEST_P(RandomAgreement, LongestPrefixMatchAgreesWithReference) {
  const int bits = gen_.bits();
  for (int i = 0; i < kPrefixes; ++i) insert(gen_.prefix(), gen_.uniform(1, kValues));
  {
    const int hits = check("100,000 random prefixes, no short ones");
    EXPECT_GT(hits, kLookups / 5);
    EXPECT_LT(hits, kLookups * 9 / 10);  // the uniform third must mostly miss
  }

  // Short prefixes, including /0, are expanded into the first level: add a few, then /0.
  const IpAddress zero = IpAddress::from_bytes(GetParam(), std::array<std::uint8_t, 16>{}.data());
  for (int i = 0; i < 200; ++i) insert(IpPrefix{gen_.random_address(), gen_.uniform(1, 14)}, gen_.uniform(1, kValues));
  check("with short prefixes", kQuickLookups);
  insert(IpPrefix{zero, 0}, 7);
  insert(IpPrefix{zero, bits}, 8);
  EXPECT_EQ(check("with /0", kQuickLookups), kQuickLookups);

  // Remove a random half (the reference decides; /0 goes too so misses come back).
  {
    auto entries = ref_.entries(GetParam());
    std::mt19937_64 rng(99);
    std::shuffle(entries.begin(), entries.end(), rng);
    int removed = 0;
    for (std::size_t i = 0; i < entries.size() / 2; ++i) {
      const auto& [p, v] = entries[i];
      // A wrong value never removes.
      EXPECT_FALSE(table_.remove(p, static_cast<std::uint32_t>(v % kValues + 1)));
      EXPECT_TRUE(table_.remove(p, static_cast<std::uint32_t>(v)));
      EXPECT_TRUE(ref_.remove(p, v));
      ++removed;
    }
    EXPECT_GT(removed, kPrefixes / 3);
    table_.remove(IpPrefix{zero, 0}, 7);
    ref_.remove(IpPrefix{zero, 0}, 7);
    check("after removing half");
  }

  // Move some prefixes to other values (re-insert), then drop whole values.
  {
    auto entries = ref_.entries(GetParam());
    for (std::size_t i = 0; i < entries.size(); i += 7) insert(entries[i].first, gen_.uniform(1, kValues));
    check("after moving prefixes", kQuickLookups);
  }
  for (int v = 1; v <= kValues; v += 3) {
    table_.remove_all(static_cast<std::uint32_t>(v));
    EXPECT_TRUE(table_.prefixes_of(static_cast<std::uint32_t>(v)).empty());
  }
  ref_.remove_values([](int v) { return (v - 1) % 3 == 0; });
  check("after remove_all of a third of the values");
  for (int v = 2; v <= 40; ++v)
    EXPECT_EQ(table_.prefixes_of(static_cast<std::uint32_t>(v)), ref_.prefixes_of(v, GetParam()))
        << "value " << v;

  // Insert again on top of the emptied paths, then remove everything.
  for (int i = 0; i < kPrefixes / 4; ++i) insert(gen_.prefix(), gen_.uniform(1, kValues));
  check("after inserting again", kQuickLookups);
  for (int v = 1; v <= kValues; ++v) table_.remove_all(static_cast<std::uint32_t>(v));
  ref_.remove_values([](int) { return true; });
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(check("after removing everything", kQuickLookups), 0);
}

// Many small interleaved inserts and removes in a crowded space, checked after every change:
// this walks the node split, merge and child-block paths far more often than the bulk test.
TEST_P(RandomAgreement, InterleavedChurnAgreesAfterEveryChange) {
  const int bits = gen_.bits();
  const IpAddress base = gen_.random_address();
  std::vector<std::pair<IpPrefix, int>> live;
  for (int step = 0; step < 4000; ++step) {
    if (live.empty() || gen_.uniform(0, 2) != 0) {
      // Prefixes within a /(bits-24) around `base`, lengths near the node boundaries.
      const int len = gen_.uniform(0, 3) == 0 ? gen_.uniform(0, bits) : gen_.uniform(bits - 24, bits);
      const IpPrefix p{gen_.with_random_tail(base, bits - 24 + gen_.uniform(0, 20)), len};
      const int v = gen_.uniform(1, 5);
      insert(p, v);
      live.emplace_back(p, v);
    } else {
      const std::size_t i = static_cast<std::size_t>(gen_.uniform(0, static_cast<int>(live.size()) - 1));
      const auto [p, v] = live[i];
      live[i] = live.back();
      live.pop_back();
      EXPECT_EQ(table_.remove(p, static_cast<std::uint32_t>(v)), ref_.remove(p, v));
    }
    for (int k = 0; k < 16; ++k) {
      const IpAddress a = gen_.with_random_tail(base, bits - 24 + gen_.uniform(0, 24));
      ASSERT_EQ(table_.lookup(a), static_cast<std::uint32_t>(ref_.lookup(a)))
          << "step " << step << " address " << a.to_string();
    }
    ASSERT_EQ(table_.size(), ref_.size()) << "step " << step;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, RandomAgreement,
                         ::testing::Values(IpAddress::Family::kV4, IpAddress::Family::kV6),
                         [](const auto& info) {
                           return info.param == IpAddress::Family::kV4 ? std::string("IPv4")
                                                                       : std::string("IPv6");
                         });

}  // namespace
}  // namespace wgd::wg
