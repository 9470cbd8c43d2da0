// The allowed-IPs table: WireGuard's cryptokey routing for IPv4 and IPv6 (longest-prefix match).
//
// Outbound, the destination of a plaintext packet picks the peer (`lookup_v4/v6` on the header
// bytes); inbound, the source of a decrypted packet must map back to the peer that sent it.
//
// Layout (bench/allowed_ips_bench.cc; a kernel-style path-compressed binary trie measured 7-10x
// slower on the same tables, as it visits one node per branching bit):
//  - A direct-indexed first level on the top 14 address bits (16,384 slots, 128 KiB per family,
//    allocated on the first prefix of that family). Prefixes of length <= 14 are expanded into it.
//  - Below it, a multibit trie with a stride of 6 bits: an internal node covers 64 slots at a
//    depth on the grid 14, 20, 26, ... (32 - 14 and 128 - 14 are multiples of 6, so the last
//    stride ends on the last address bit) and holds the prefixes of length depth+1 .. depth+6.
//  - Nodes are compressed with 64-bit bitmaps and popcount (as in Poptrie, Asai & Ohara 2015):
//    one bitmap says which slots have a child, the children of a node are stored contiguously, so
//    the child is `children + popcount(bits below the slot)`; a second bitmap marks where the
//    node's best own prefix changes from one slot to the next, and only those runs are stored.
//  - Path compression: a node stores the address bits above it (`key`) and may sit several strides
//    below its parent; a lookup checks the key and stops on a mismatch. A subtree with a single
//    prefix is a leaf node holding that prefix and its value, so a host route (/32, /128) costs
//    one node and one read, not a chain of strides.
//  - No leaf pushing: each node answers only for its own prefixes and a lookup keeps the best seen
//    on the way down. An insert or remove therefore rewrites one node (plus at most one split,
//    merge or leaf conversion), never a subtree.
// After the direct slot a lookup reads at most 3 nodes for IPv4 and 19 for IPv6 (typically 2-5)
// and allocates nothing. Data only updates need (each node's own prefixes, the route records,
// the per-value chains for `remove_all` and `prefixes_of`) lives in separate arrays so the nodes
// a lookup reads stay small (40 bytes for IPv4, 48 for IPv6).
//
// Not thread-safe by itself: the caller holds a reader/writer lock; const lookups may run
// concurrently because they only read.
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "util/bytes.h"
#include "util/ip.h"

namespace wgd::wg {

namespace allowed_ips_detail {

__extension__ typedef unsigned __int128 Uint128;

inline constexpr std::uint32_t kNone = ~std::uint32_t{0};

// Hands out contiguous index ranges from an array that only grows, recycling released ranges.
// A range for `count` elements has the capacity of its size class (1, 2, 3, 4, 6, 8, 12, ...,
// about 1.5x apart), so a block that grows by one element usually grows in place and freed
// blocks are reused by blocks of nearby sizes: exact sizes left half the array in free lists.
// The owner resizes its storage to `end()`. Contiguous ranges let a node find a child or a run
// by popcount instead of storing a pointer per slot.
class BlockAllocator {
 public:
  explicit BlockAllocator(unsigned max_count);
  unsigned capacity(unsigned count) const { return capacity_[count]; }
  std::uint32_t allocate(unsigned count);
  void release(std::uint32_t base, unsigned count);
  std::uint32_t end() const { return end_; }
  std::size_t memory_bytes() const;

 private:
  std::vector<std::uint8_t> capacity_;            // size class capacity for each count
  std::vector<std::vector<std::uint32_t>> free_;  // free_[c]: released ranges of capacity c
  std::uint32_t end_ = 0;
};

// Baseline x86-64 has no POPCNT instruction, so std::popcount becomes a library call there.
// Lookups count bits on every level, so they are compiled twice (see PrefixTrie::lookup): with
// the instruction, chosen at run time when the CPU has it, and with the inline bit-twiddling
// count below, which updates use too.
#if defined(__x86_64__) && !defined(__POPCNT__)
#define WGD_ALLOWED_IPS_POPCNT_DISPATCH 1
extern const bool cpu_has_popcnt;  // false until static initialisation has run: still correct
#endif

inline int popcount64(std::uint64_t x) {
#ifdef WGD_ALLOWED_IPS_POPCNT_DISPATCH
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<int>((x * 0x0101010101010101ull) >> 56);
#else
  return std::popcount(x);
#endif
}

// kInstruction: use __builtin_popcountll, for code compiled for a CPU with POPCNT.
template <bool kInstruction>
[[gnu::always_inline]] inline int count_bits(std::uint64_t x) {
  if constexpr (kInstruction)
    return __builtin_popcountll(x);
  else
    return popcount64(x);
}

inline int leading_zeros(std::uint32_t x) { return std::countl_zero(x); }
inline int leading_zeros(Uint128 x) {
  const auto hi = static_cast<std::uint64_t>(x >> 64);
  return hi ? std::countl_zero(hi) : 64 + std::countl_zero(static_cast<std::uint64_t>(x));
}

inline std::uint32_t v4_key(const std::uint8_t* addr4) { return load_be32(addr4); }
inline Uint128 v6_key(const std::uint8_t* addr16) {
  return (Uint128{load_be64(addr16)} << 64) | load_be64(addr16 + 8);
}

// Which of a node's 126 possible own prefixes exist: prefix (r, b) — r = 1..6 bits below the
// node's depth with value b — has index (1 << r) - 2 + b, so shorter prefixes come first.
struct OwnSet {
  std::uint64_t words[2] = {0, 0};

  static unsigned index(unsigned r, unsigned b) { return (1u << r) - 2 + b; }
  bool test(unsigned i) const { return (words[i >> 6] >> (i & 63)) & 1; }
  void set(unsigned i) { words[i >> 6] |= std::uint64_t{1} << (i & 63); }
  void reset(unsigned i) { words[i >> 6] &= ~(std::uint64_t{1} << (i & 63)); }
  unsigned count() const { return popcount64(words[0]) + popcount64(words[1]); }
  unsigned rank(unsigned i) const {  // how many own prefixes come before index i
    const std::uint64_t below = (std::uint64_t{1} << (i & 63)) - 1;
    return i < 64 ? popcount64(words[0] & below)
                  : popcount64(words[0]) + popcount64(words[1] & below);
  }
  unsigned first() const {  // the index of the first own prefix; count() must be > 0
    return words[0] ? std::countr_zero(words[0]) : 64 + std::countr_zero(words[1]);
  }
};

// One address family: Key is the address as an unsigned integer, most significant bit first.
//
// Node kinds. An internal node at depth D indexes address bits D..D+5 with its 64 slots and
// holds its own prefixes (lengths D+1..D+6) and children. A leaf is a subtree that holds exactly
// one prefix: host routes, the bulk of a VPN server's table, cost one node and one read.
// Invariant (kept by every update, so removals leave no empty nodes or one-child chains):
// an internal node has at least two items, own prefixes and children counted together.
template <class Key, int kBits, class Value>
class PrefixTrie {
 public:
  static constexpr int kDirectBits = 14;
  static constexpr int kStride = 6;
  static constexpr unsigned kSlots = 1u << kStride;
  // runs_[kNoRuns] always holds Value{}: a node without own prefixes points its one run there,
  // which spares the walk a branch.
  static constexpr std::uint32_t kNoRuns = 0;
  static_assert((kBits - kDirectBits) % kStride == 0, "the last stride must end on the last bit");

  // The route id stored with prefix (key, len), or kNone. `key` has its host bits cleared.
  std::uint32_t find(Key key, int len) const;
  // Adds a prefix that is not in the table yet.
  void insert(Key key, int len, std::uint32_t route, Value value);
  // Changes the value of a prefix that is in the table.
  void set_value(Key key, int len, Value value);
  // Removes a prefix that is in the table.
  void erase(Key key, int len);
  Value lookup(Key addr) const {
#ifdef WGD_ALLOWED_IPS_POPCNT_DISPATCH
    return cpu_has_popcnt ? walk_popcnt(addr) : walk<false>(addr);
#else
    return walk<true>(addr);
#endif
  }
  std::size_t memory_bytes() const;

 private:
  // The part a lookup reads: 40 bytes for IPv4, 48 for IPv6. The fields that lead to the next
  // node come first, so the walk's critical path usually touches one cache line.
  struct Node {
    Key key;                   // the first `check` bits are shared by everything at or below here
    std::uint64_t child_bits;  // internal: slot s has a child; leaf: the value's bytes
    std::uint8_t check;        // internal: the depth; leaf: the prefix length
    bool leaf;
    std::uint32_t children;    // internal: first child in nodes_ (contiguous, in slot order)
    std::uint64_t run_bits;    // internal: slot s starts a new run of best own prefix
    std::uint32_t runs;        // internal: first run value in runs_; kNoRuns: no own prefix
    std::uint32_t own;         // internal: index in own_records_ or kNone; leaf: route id
  };
  // An internal node's own prefixes, read only by updates.
  struct NodeOwn {
    OwnSet set;
    std::uint32_t base = 0;  // first OwnEntry in own_, in OwnSet index order
  };
  struct OwnEntry {
    std::uint32_t route;
    Value value;
  };
  // A prefix of length <= kDirectBits, expanded into the direct slots it covers.
  struct ShortPrefix {
    Value value;
    std::uint32_t route;
    std::uint8_t length;
  };
  struct DirectSlot {
    std::uint32_t node = kNone;    // the trie below this slot
    std::uint32_t shorts = kNone;  // the longest short prefix covering this slot
  };
  struct Location {  // where a prefix of length > kDirectBits lives
    std::uint32_t node = kNone;
    std::uint32_t parent = kNone;  // kNone: the node hangs off the direct slot
    unsigned parent_slot = 0;
  };

  static Key mask(Key k, int len) {
    return len == 0 ? Key{0} : static_cast<Key>(k & (~Key{0} << (kBits - len)));
  }
  static unsigned top(Key k) { return static_cast<unsigned>(k >> (kBits - kDirectBits)); }
  static unsigned chunk(Key k, int depth) {
    return static_cast<unsigned>(k >> (kBits - kStride - depth)) & (kSlots - 1);
  }
  // The depth of the internal node that holds prefixes of length `len` (> kDirectBits).
  static int depth_for_length(int len) {
    return kDirectBits + kStride * ((len - kDirectBits - 1) / kStride);
  }
  static int grid_floor(int bit) { return kDirectBits + kStride * ((bit - kDirectBits) / kStride); }
  static unsigned own_index(Key key, int len, int depth) {
    const unsigned r = static_cast<unsigned>(len - depth);
    return OwnSet::index(r, chunk(key, depth) >> (kStride - r));
  }
  static unsigned rank_below(std::uint64_t bits, unsigned s) {
    return popcount64(bits & ((std::uint64_t{1} << s) - 1));
  }
  static std::uint32_t short_code(Key key, int len) {
    return (static_cast<std::uint32_t>(top(key)) << 5) | static_cast<std::uint32_t>(len);
  }
  static Value leaf_value(const Node& leaf) {
    Value v;
    std::memcpy(&v, &leaf.child_bits, sizeof v);
    return v;
  }
  static Node make_leaf(Key key, int len, std::uint32_t route, Value value) {
    Node n{.key = key, .child_bits = 0, .check = static_cast<std::uint8_t>(len), .leaf = true,
           .children = 0, .run_bits = 0, .runs = 0, .own = route};
    std::memcpy(&n.child_bits, &value, sizeof value);
    return n;
  }
  static Node make_internal(Key key, int depth) {
    return Node{.key = mask(key, depth), .child_bits = 0, .check = static_cast<std::uint8_t>(depth),
                .leaf = false, .children = 0, .run_bits = 1, .runs = kNoRuns, .own = kNone};
  }

  template <bool kPopcnt>
  [[gnu::always_inline]] inline Value walk(Key addr) const;
#ifdef WGD_ALLOWED_IPS_POPCNT_DISPATCH
  [[gnu::target("popcnt")]] Value walk_popcnt(Key addr) const { return walk<true>(addr); }
#endif
  void ensure_direct();
  Location locate(Key key, int len) const;
  unsigned own_count(std::uint32_t n) const {
    return nodes_[n].own == kNone ? 0 : own_records_[nodes_[n].own].set.count();
  }
  std::uint32_t allocate_nodes(unsigned count);
  void insert_child(std::uint32_t parent, unsigned slot, const Node& child);
  void remove_child(std::uint32_t parent, unsigned slot);
  void split_above(std::uint32_t n, Key key, int depth);
  void expand_leaf(std::uint32_t n);
  void normalize(std::uint32_t n);
  void add_own(std::uint32_t n, Key key, int len, std::uint32_t route, Value value);
  void remove_own(std::uint32_t n, Key key, int len);
  void rebuild_runs(std::uint32_t n);
  void insert_short(Key key, int len, std::uint32_t route, Value value);
  void erase_short(Key key, int len);

  std::vector<DirectSlot> direct_;  // empty until the first prefix of this family
  std::vector<Node> nodes_;
  std::vector<Value> runs_;
  std::vector<NodeOwn> own_records_;
  std::vector<std::uint32_t> free_own_records_;
  std::vector<OwnEntry> own_;
  BlockAllocator node_alloc_{kSlots};
  BlockAllocator run_alloc_{kSlots};
  BlockAllocator own_alloc_{2 * kSlots - 2};
  std::vector<ShortPrefix> shorts_;
  std::vector<std::uint32_t> free_shorts_;
  std::unordered_map<std::uint32_t, std::uint32_t> short_index_;  // short_code -> shorts_ index
};

}  // namespace allowed_ips_detail

// Value: a pointer or a small trivially copyable id, hashable with std::hash; Value{} means
// "none" and is never stored.
template <class Value>
class AllowedIps {
  static_assert(std::is_trivially_copyable_v<Value> && sizeof(Value) <= 8,
                "AllowedIps stores values by copy in its runs: use a pointer or a small id");

 public:
  // Maps `prefix` (host bits cleared) to `value`; an existing prefix moves to `value`.
  // Preconditions: value != Value{}, 0 <= prefix.length <= the family's bit length.
  void insert(const IpPrefix& prefix, Value value);
  // Removes `prefix` only if it maps to `value`; returns whether it did.
  bool remove(const IpPrefix& prefix, Value value);
  // Removes every prefix of `value` (its peer is gone), in time proportional to their number.
  void remove_all(Value value);
  // Longest-prefix match, Value{} if none. IPv4 and IPv6 are separate tables.
  Value lookup(const IpAddress& address) const {
    return address.is_v4() ? lookup_v4(address.bytes()) : lookup_v6(address.bytes());
  }
  Value lookup_v4(const std::uint8_t* addr4) const {  // 4 bytes in network order
    return v4_.lookup(allowed_ips_detail::v4_key(addr4));
  }
  Value lookup_v6(const std::uint8_t* addr16) const {  // 16 bytes in network order
    return v6_.lookup(allowed_ips_detail::v6_key(addr16));
  }
  // The canonical prefixes of `value`, in the order they were inserted (or moved) to it.
  std::vector<IpPrefix> prefixes_of(Value value) const;
  std::size_t size() const { return size_; }
  void clear();
  // Heap bytes held by the table (capacities, free lists and hash maps, approximately).
  std::size_t memory_bytes() const;

 private:
  using Uint128 = allowed_ips_detail::Uint128;
  static constexpr std::uint32_t kNone = allowed_ips_detail::kNone;

  // One stored prefix, linked into the chain of its value in insertion order.
  struct Route {
    IpPrefix prefix;
    Value value;
    std::uint32_t prev;
    std::uint32_t next;
  };
  struct Chain {
    std::uint32_t head;
    std::uint32_t tail;
  };

  static bool valid(const IpPrefix& p) {
    return p.length >= 0 && p.length <= p.address.bit_length();
  }
  std::uint32_t find(const IpPrefix& canonical) const;
  void trie_insert(const IpPrefix& canonical, std::uint32_t route, Value value);
  void trie_set_value(const IpPrefix& canonical, Value value);
  void trie_erase(const IpPrefix& canonical);
  void link(std::uint32_t route);
  void unlink(std::uint32_t route);
  void free_route(std::uint32_t route);

  allowed_ips_detail::PrefixTrie<std::uint32_t, 32, Value> v4_;
  allowed_ips_detail::PrefixTrie<Uint128, 128, Value> v6_;
  std::vector<Route> routes_;
  std::vector<std::uint32_t> free_routes_;
  std::unordered_map<Value, Chain> chains_;
  std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// PrefixTrie

namespace allowed_ips_detail {

template <class Key, int kBits, class Value>
template <bool kPopcnt>
Value PrefixTrie<Key, kBits, Value>::walk(Key addr) const {
  if (direct_.empty()) return Value{};
  const DirectSlot& slot = direct_[top(addr)];
  Value best{};
  if (slot.node == kNone) return slot.shorts == kNone ? best : shorts_[slot.shorts].value;
  for (std::uint32_t n = slot.node;;) {
    const Node& node = nodes_[n];
    // Path compression: a node may sit strides below its parent, so the skipped bits (for a
    // leaf: all of its prefix) must match.
    if (((addr ^ node.key) >> (kBits - node.check)) != 0) break;
    if (node.leaf) return leaf_value(node);  // nothing below a leaf: it is the longest match
    const unsigned s = chunk(addr, node.check);
    const std::uint64_t upto = ~std::uint64_t{0} >> (kSlots - 1 - s);
    const Value v = runs_[node.runs + count_bits<kPopcnt>(node.run_bits & upto) - 1];
    if (v != Value{}) best = v;
    if (((node.child_bits >> s) & 1) == 0) break;
    n = node.children + count_bits<kPopcnt>(node.child_bits & ((std::uint64_t{1} << s) - 1));
  }
  if (best != Value{} || slot.shorts == kNone) return best;
  return shorts_[slot.shorts].value;
}

template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::ensure_direct() {
  if (!direct_.empty()) return;
  direct_.assign(std::size_t{1} << kDirectBits, DirectSlot{});
  const std::uint32_t none = run_alloc_.allocate(1);  // the first block: kNoRuns
  runs_.assign(run_alloc_.end(), Value{});
  assert(none == kNoRuns);
  (void)none;
}

template <class Key, int kBits, class Value>
auto PrefixTrie<Key, kBits, Value>::locate(Key key, int len) const -> Location {
  if (direct_.empty()) return {};
  const int depth = depth_for_length(len);
  std::uint32_t parent = kNone;
  unsigned parent_slot = 0;
  for (std::uint32_t n = direct_[top(key)].node; n != kNone;) {
    const Node& node = nodes_[n];
    if (node.leaf) {
      if (node.check == len && node.key == key) return {n, parent, parent_slot};
      return {};
    }
    if (node.check > depth || mask(key, node.check) != node.key) return {};
    if (node.check == depth) {
      if (own_count(n) && own_records_[node.own].set.test(own_index(key, len, depth)))
        return {n, parent, parent_slot};
      return {};
    }
    const unsigned s = chunk(key, node.check);
    if (((node.child_bits >> s) & 1) == 0) return {};
    parent = n;
    parent_slot = s;
    n = node.children + rank_below(node.child_bits, s);
  }
  return {};
}

template <class Key, int kBits, class Value>
std::uint32_t PrefixTrie<Key, kBits, Value>::find(Key key, int len) const {
  if (len <= kDirectBits) {
    const auto it = short_index_.find(short_code(key, len));
    return it == short_index_.end() ? kNone : shorts_[it->second].route;
  }
  const Location loc = locate(key, len);
  if (loc.node == kNone) return kNone;
  const Node& node = nodes_[loc.node];
  if (node.leaf) return node.own;
  const NodeOwn& own = own_records_[node.own];
  return own_[own.base + own.set.rank(own_index(key, len, node.check))].route;
}

template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::insert(Key key, int len, std::uint32_t route, Value value) {
  ensure_direct();
  if (len <= kDirectBits) {
    insert_short(key, len, route, value);
    return;
  }
  const int target = depth_for_length(len);
  if (direct_[top(key)].node == kNone) {
    const std::uint32_t n = allocate_nodes(1);
    nodes_[n] = make_leaf(key, len, route, value);
    direct_[top(key)].node = n;
    return;
  }
  std::uint32_t n = direct_[top(key)].node;
  for (;;) {
    const Node node = nodes_[n];
    // A leaf is treated as the internal node it would be: the one at the depth of its length.
    const int depth = node.leaf ? depth_for_length(node.check) : node.check;
    const Key node_key = node.leaf ? mask(node.key, depth) : node.key;
    // Bits beyond `len` in key and beyond `depth` in node_key are zero, so `common` is only
    // trusted up to min(target, depth), which is all the cases below rely on.
    const int common = std::min(leading_zeros(static_cast<Key>(key ^ node_key)), depth);
    if (common >= depth && target >= depth) {
      if (node.leaf) {  // the new prefix goes in or under this leaf's node: make it one
        expand_leaf(n);
        continue;
      }
      if (target == depth) {
        add_own(n, key, len, route, value);
        return;
      }
      const unsigned s = chunk(key, depth);
      if ((node.child_bits >> s) & 1) {
        n = node.children + rank_below(node.child_bits, s);
        continue;
      }
      insert_child(n, s, make_leaf(key, len, route, value));
      return;
    }
    // The prefix diverges from this node above its depth, or belongs above it: put a new node
    // in its place at the deepest grid depth that still covers both.
    const int split = target <= common ? target : grid_floor(common);
    split_above(n, key, split);
    if (split == target)
      add_own(n, key, len, route, value);
    else
      insert_child(n, chunk(key, split), make_leaf(key, len, route, value));
    return;
  }
}

template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::set_value(Key key, int len, Value value) {
  if (len <= kDirectBits) {
    const auto it = short_index_.find(short_code(key, len));
    if (it != short_index_.end()) shorts_[it->second].value = value;
    return;
  }
  const Location loc = locate(key, len);
  if (loc.node == kNone) return;
  Node& node = nodes_[loc.node];
  if (node.leaf) {
    std::memcpy(&node.child_bits, &value, sizeof value);
    return;
  }
  const NodeOwn& own = own_records_[node.own];
  own_[own.base + own.set.rank(own_index(key, len, node.check))].value = value;
  rebuild_runs(loc.node);
}

template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::erase(Key key, int len) {
  if (len <= kDirectBits) {
    erase_short(key, len);
    return;
  }
  const Location loc = locate(key, len);
  if (loc.node == kNone) return;
  if (!nodes_[loc.node].leaf) {
    remove_own(loc.node, key, len);
    normalize(loc.node);
  } else if (loc.parent == kNone) {
    node_alloc_.release(loc.node, 1);
    direct_[top(key)].node = kNone;
  } else {
    remove_child(loc.parent, loc.parent_slot);
    normalize(loc.parent);
  }
}

template <class Key, int kBits, class Value>
std::uint32_t PrefixTrie<Key, kBits, Value>::allocate_nodes(unsigned count) {
  const std::uint32_t base = node_alloc_.allocate(count);
  if (node_alloc_.end() > nodes_.size()) nodes_.resize(node_alloc_.end());
  return base;
}

// Adds `child` under slot `slot` of `parent`. The parent's children stay contiguous and in slot
// order, in place when the block has room, so indices of its other children may change.
template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::insert_child(std::uint32_t parent, unsigned slot,
                                                 const Node& child) {
  const Node p = nodes_[parent];
  const unsigned count = popcount64(p.child_bits);
  const unsigned pos = rank_below(p.child_bits, slot);
  std::uint32_t base = p.children;
  if (count > 0 && node_alloc_.capacity(count + 1) == node_alloc_.capacity(count)) {
    for (unsigned i = count; i > pos; --i) nodes_[base + i] = nodes_[base + i - 1];
  } else {
    base = allocate_nodes(count + 1);
    for (unsigned i = 0; i < pos; ++i) nodes_[base + i] = nodes_[p.children + i];
    for (unsigned i = pos; i < count; ++i) nodes_[base + i + 1] = nodes_[p.children + i];
    if (count) node_alloc_.release(p.children, count);
  }
  nodes_[base + pos] = child;
  nodes_[parent].child_bits |= std::uint64_t{1} << slot;
  nodes_[parent].children = base;
}

// Removes the child under `slot` of `parent` (a leaf, or an empty node).
template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::remove_child(std::uint32_t parent, unsigned slot) {
  const Node p = nodes_[parent];
  const unsigned count = popcount64(p.child_bits);
  const unsigned pos = rank_below(p.child_bits, slot);
  std::uint32_t base = 0;
  if (count > 1 && node_alloc_.capacity(count - 1) == node_alloc_.capacity(count)) {
    base = p.children;
    for (unsigned i = pos; i + 1 < count; ++i) nodes_[base + i] = nodes_[base + i + 1];
  } else {
    if (count > 1) {
      base = allocate_nodes(count - 1);
      for (unsigned i = 0; i < pos; ++i) nodes_[base + i] = nodes_[p.children + i];
      for (unsigned i = pos + 1; i < count; ++i) nodes_[base + i - 1] = nodes_[p.children + i];
    }
    node_alloc_.release(p.children, count);
  }
  nodes_[parent].child_bits &= ~(std::uint64_t{1} << slot);
  nodes_[parent].children = base;
}

// Puts a new empty internal node at `depth` in the place of node `n`, which becomes its only
// child. The caller gives it a second item at once.
template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::split_above(std::uint32_t n, Key key, int depth) {
  const std::uint32_t moved = allocate_nodes(1);
  nodes_[moved] = nodes_[n];
  nodes_[n] = make_internal(key, depth);
  nodes_[n].child_bits = std::uint64_t{1} << chunk(nodes_[moved].key, depth);
  nodes_[n].children = moved;
}

// Turns leaf `n` into the internal node at the depth of its length, owning that one prefix.
template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::expand_leaf(std::uint32_t n) {
  const Node leaf = nodes_[n];
  nodes_[n] = make_internal(leaf.key, depth_for_length(leaf.check));
  add_own(n, leaf.key, leaf.check, leaf.own, leaf_value(leaf));
}

// Restores the invariant on internal node `n` after it lost one item: with one child and no own
// prefix it is replaced by the child; with one own prefix and no child it becomes a leaf.
template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::normalize(std::uint32_t n) {
  const Node node = nodes_[n];
  const unsigned children = popcount64(node.child_bits);
  const unsigned own = own_count(n);
  if (children + own >= 2) return;
  assert(children + own == 1);
  if (children == 1) {
    nodes_[n] = nodes_[node.children];
    node_alloc_.release(node.children, 1);
    return;
  }
  const NodeOwn record = own_records_[node.own];
  const unsigned index = record.set.first();
  const unsigned r = static_cast<unsigned>(std::bit_width(index + 2)) - 1;
  const unsigned b = index + 2 - (1u << r);
  const int len = node.check + static_cast<int>(r);
  const Key key = node.key | static_cast<Key>(Key{b} << (kBits - len));
  const OwnEntry entry = own_[record.base];
  remove_own(n, key, len);
  nodes_[n] = make_leaf(key, len, entry.route, entry.value);
}

template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::add_own(std::uint32_t n, Key key, int len,
                                            std::uint32_t route, Value value) {
  if (nodes_[n].own == kNone) {
    std::uint32_t record;
    if (!free_own_records_.empty()) {
      record = free_own_records_.back();
      free_own_records_.pop_back();
    } else {
      record = static_cast<std::uint32_t>(own_records_.size());
      own_records_.emplace_back();
    }
    own_records_[record] = NodeOwn{};
    nodes_[n].own = record;
  }
  NodeOwn& own = own_records_[nodes_[n].own];
  const unsigned index = own_index(key, len, nodes_[n].check);
  const unsigned count = own.set.count();
  const unsigned pos = own.set.rank(index);
  if (count > 0 && own_alloc_.capacity(count + 1) == own_alloc_.capacity(count)) {
    for (unsigned i = count; i > pos; --i) own_[own.base + i] = own_[own.base + i - 1];
  } else {
    const std::uint32_t base = own_alloc_.allocate(count + 1);
    if (own_alloc_.end() > own_.size()) own_.resize(own_alloc_.end());
    for (unsigned i = 0; i < pos; ++i) own_[base + i] = own_[own.base + i];
    for (unsigned i = pos; i < count; ++i) own_[base + i + 1] = own_[own.base + i];
    if (count) own_alloc_.release(own.base, count);
    own.base = base;
  }
  own_[own.base + pos] = OwnEntry{route, value};
  own.set.set(index);
  rebuild_runs(n);
}

template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::remove_own(std::uint32_t n, Key key, int len) {
  const std::uint32_t record = nodes_[n].own;
  NodeOwn& own = own_records_[record];
  const unsigned index = own_index(key, len, nodes_[n].check);
  const unsigned count = own.set.count();
  const unsigned pos = own.set.rank(index);
  if (count == 1) {
    own_alloc_.release(own.base, 1);
    free_own_records_.push_back(record);
    nodes_[n].own = kNone;
  } else {
    if (own_alloc_.capacity(count - 1) == own_alloc_.capacity(count)) {
      for (unsigned i = pos; i + 1 < count; ++i) own_[own.base + i] = own_[own.base + i + 1];
    } else {
      const std::uint32_t base = own_alloc_.allocate(count - 1);
      if (own_alloc_.end() > own_.size()) own_.resize(own_alloc_.end());
      for (unsigned i = 0; i < pos; ++i) own_[base + i] = own_[own.base + i];
      for (unsigned i = pos + 1; i < count; ++i) own_[base + i - 1] = own_[own.base + i];
      own_alloc_.release(own.base, count);
      own.base = base;
    }
    own.set.reset(index);
  }
  rebuild_runs(n);
}

// Recomputes node n's runs: for each of the 64 slots the value of the longest own prefix that
// covers it, stored once per run of equal values.
template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::rebuild_runs(std::uint32_t n) {
  Value slot_value[kSlots]{};
  std::uint64_t run_bits = 0;
  if (nodes_[n].own != kNone) {
    const NodeOwn& own = own_records_[nodes_[n].own];
    unsigned rank = 0;
    // Index order is shortest first, so longer prefixes overwrite the slots they cover.
    for (unsigned i = 0; i < 2 * kSlots - 2; ++i) {
      if (!own.set.test(i)) continue;
      const unsigned r = static_cast<unsigned>(std::bit_width(i + 2)) - 1;
      const unsigned b = i + 2 - (1u << r);
      const unsigned span = kSlots >> r;
      const Value v = own_[own.base + rank++].value;
      for (unsigned s = b * span; s < (b + 1) * span; ++s) slot_value[s] = v;
    }
    run_bits = 1;
    for (unsigned s = 1; s < kSlots; ++s)
      if (slot_value[s] != slot_value[s - 1]) run_bits |= std::uint64_t{1} << s;
  }
  Node& node = nodes_[n];
  const unsigned old_count = node.runs == kNoRuns ? 0 : popcount64(node.run_bits);
  const unsigned count = popcount64(run_bits);
  std::uint32_t base = node.runs;
  const unsigned old_capacity = old_count ? run_alloc_.capacity(old_count) : 0;
  const unsigned capacity = count ? run_alloc_.capacity(count) : 0;
  if (capacity != old_capacity) {
    if (old_count) run_alloc_.release(node.runs, old_count);
    base = count ? run_alloc_.allocate(count) : kNoRuns;
    if (run_alloc_.end() > runs_.size()) runs_.resize(run_alloc_.end());
  }
  for (unsigned s = 0, i = 0; s < kSlots; ++s)
    if ((run_bits >> s) & 1) runs_[base + i++] = slot_value[s];
  node.run_bits = count ? run_bits : 1;
  node.runs = base;
}

template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::insert_short(Key key, int len, std::uint32_t route,
                                                 Value value) {
  std::uint32_t index;
  if (!free_shorts_.empty()) {
    index = free_shorts_.back();
    free_shorts_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(shorts_.size());
    shorts_.emplace_back();
  }
  shorts_[index] = ShortPrefix{value, route, static_cast<std::uint8_t>(len)};
  short_index_[short_code(key, len)] = index;
  const unsigned first = top(key);
  const unsigned count = 1u << (kDirectBits - len);
  for (unsigned i = first; i < first + count; ++i) {
    DirectSlot& slot = direct_[i];
    if (slot.shorts == kNone || shorts_[slot.shorts].length < len) slot.shorts = index;
  }
}

template <class Key, int kBits, class Value>
void PrefixTrie<Key, kBits, Value>::erase_short(Key key, int len) {
  const auto it = short_index_.find(short_code(key, len));
  if (it == short_index_.end()) return;
  const std::uint32_t index = it->second;
  short_index_.erase(it);
  // Slots that pointed at the removed prefix fall back to its longest remaining ancestor: any
  // longer prefix covering such a slot would already have been the slot's choice.
  std::uint32_t ancestor = kNone;
  for (int l = len - 1; l >= 0 && ancestor == kNone; --l) {
    const auto up = short_index_.find(short_code(mask(key, l), l));
    if (up != short_index_.end()) ancestor = up->second;
  }
  const unsigned first = top(key);
  const unsigned count = 1u << (kDirectBits - len);
  for (unsigned i = first; i < first + count; ++i)
    if (direct_[i].shorts == index) direct_[i].shorts = ancestor;
  free_shorts_.push_back(index);
}

template <class Key, int kBits, class Value>
std::size_t PrefixTrie<Key, kBits, Value>::memory_bytes() const {
  // Each unordered_map element costs a node (next pointer, key, value, cached hash) plus a bucket.
  constexpr std::size_t kMapNode = sizeof(void*) + 2 * sizeof(std::uint32_t) + sizeof(std::size_t);
  return direct_.capacity() * sizeof(DirectSlot) + nodes_.capacity() * sizeof(Node) +
         runs_.capacity() * sizeof(Value) + own_records_.capacity() * sizeof(NodeOwn) +
         free_own_records_.capacity() * sizeof(std::uint32_t) +
         own_.capacity() * sizeof(OwnEntry) + shorts_.capacity() * sizeof(ShortPrefix) +
         free_shorts_.capacity() * sizeof(std::uint32_t) + node_alloc_.memory_bytes() +
         run_alloc_.memory_bytes() + own_alloc_.memory_bytes() +
         short_index_.size() * kMapNode + short_index_.bucket_count() * sizeof(void*);
}

}  // namespace allowed_ips_detail

// ---------------------------------------------------------------------------------------------
// AllowedIps

template <class Value>
std::uint32_t AllowedIps<Value>::find(const IpPrefix& p) const {
  const std::uint8_t* bytes = p.address.bytes();
  return p.address.is_v4() ? v4_.find(allowed_ips_detail::v4_key(bytes), p.length)
                           : v6_.find(allowed_ips_detail::v6_key(bytes), p.length);
}

template <class Value>
void AllowedIps<Value>::trie_insert(const IpPrefix& p, std::uint32_t route, Value value) {
  const std::uint8_t* bytes = p.address.bytes();
  if (p.address.is_v4())
    v4_.insert(allowed_ips_detail::v4_key(bytes), p.length, route, value);
  else
    v6_.insert(allowed_ips_detail::v6_key(bytes), p.length, route, value);
}

template <class Value>
void AllowedIps<Value>::trie_set_value(const IpPrefix& p, Value value) {
  const std::uint8_t* bytes = p.address.bytes();
  if (p.address.is_v4())
    v4_.set_value(allowed_ips_detail::v4_key(bytes), p.length, value);
  else
    v6_.set_value(allowed_ips_detail::v6_key(bytes), p.length, value);
}

template <class Value>
void AllowedIps<Value>::trie_erase(const IpPrefix& p) {
  const std::uint8_t* bytes = p.address.bytes();
  if (p.address.is_v4())
    v4_.erase(allowed_ips_detail::v4_key(bytes), p.length);
  else
    v6_.erase(allowed_ips_detail::v6_key(bytes), p.length);
}

template <class Value>
void AllowedIps<Value>::link(std::uint32_t route) {
  Route& r = routes_[route];
  r.next = kNone;
  const auto [it, inserted] = chains_.try_emplace(r.value, Chain{route, route});
  if (inserted) {
    r.prev = kNone;
    return;
  }
  r.prev = it->second.tail;
  routes_[it->second.tail].next = route;
  it->second.tail = route;
}

template <class Value>
void AllowedIps<Value>::unlink(std::uint32_t route) {
  const Route& r = routes_[route];
  const auto it = chains_.find(r.value);
  if (it == chains_.end()) return;
  if (r.prev == kNone && r.next == kNone) {
    chains_.erase(it);
    return;
  }
  if (r.prev == kNone)
    it->second.head = r.next;
  else
    routes_[r.prev].next = r.next;
  if (r.next == kNone)
    it->second.tail = r.prev;
  else
    routes_[r.next].prev = r.prev;
}

template <class Value>
void AllowedIps<Value>::free_route(std::uint32_t route) {
  routes_[route].value = Value{};
  free_routes_.push_back(route);
  --size_;
}

template <class Value>
void AllowedIps<Value>::insert(const IpPrefix& prefix, Value value) {
  assert(value != Value{} && valid(prefix));
  if (value == Value{} || !valid(prefix)) return;
  const IpPrefix canonical = prefix.canonical();
  if (const std::uint32_t existing = find(canonical); existing != kNone) {
    if (routes_[existing].value == value) return;
    unlink(existing);
    routes_[existing].value = value;
    link(existing);
    trie_set_value(canonical, value);
    return;
  }
  std::uint32_t route;
  if (!free_routes_.empty()) {
    route = free_routes_.back();
    free_routes_.pop_back();
  } else {
    route = static_cast<std::uint32_t>(routes_.size());
    routes_.emplace_back();
  }
  routes_[route] = Route{canonical, value, kNone, kNone};
  link(route);
  trie_insert(canonical, route, value);
  ++size_;
}

template <class Value>
bool AllowedIps<Value>::remove(const IpPrefix& prefix, Value value) {
  if (value == Value{} || !valid(prefix)) return false;
  const IpPrefix canonical = prefix.canonical();
  const std::uint32_t route = find(canonical);
  if (route == kNone || routes_[route].value != value) return false;
  trie_erase(canonical);
  unlink(route);
  free_route(route);
  return true;
}

template <class Value>
void AllowedIps<Value>::remove_all(Value value) {
  const auto it = chains_.find(value);
  if (it == chains_.end()) return;
  for (std::uint32_t route = it->second.head; route != kNone;) {
    const std::uint32_t next = routes_[route].next;
    trie_erase(routes_[route].prefix);
    free_route(route);
    route = next;
  }
  chains_.erase(it);
}

template <class Value>
std::vector<IpPrefix> AllowedIps<Value>::prefixes_of(Value value) const {
  std::vector<IpPrefix> out;
  const auto it = chains_.find(value);
  if (it == chains_.end()) return out;
  for (std::uint32_t route = it->second.head; route != kNone; route = routes_[route].next)
    out.push_back(routes_[route].prefix);
  return out;
}

template <class Value>
void AllowedIps<Value>::clear() {
  *this = AllowedIps{};
}

template <class Value>
std::size_t AllowedIps<Value>::memory_bytes() const {
  constexpr std::size_t kMapNode = sizeof(void*) + sizeof(Value) + sizeof(Chain) + sizeof(std::size_t);
  return v4_.memory_bytes() + v6_.memory_bytes() + routes_.capacity() * sizeof(Route) +
         free_routes_.capacity() * sizeof(std::uint32_t) + chains_.size() * kMapNode +
         chains_.bucket_count() * sizeof(void*);
}

}  // namespace wgd::wg
