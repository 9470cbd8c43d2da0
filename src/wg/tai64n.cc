#include "wg/tai64n.h"

#include <cstring>

#include "util/bytes.h"

namespace wgd::wg {

namespace {
constexpr std::uint64_t kTai64Base = 0x400000000000000aULL;  // 2^62 + 10 leap seconds
constexpr std::uint32_t kWhitenerMask = (1u << 24) - 1;
}  // namespace

Tai64n tai64n_from_unix_nanos(Nanos wall) {
  Tai64n t{};
  const std::int64_t secs = wall / kSecond;
  const auto nanos = static_cast<std::uint32_t>(wall % kSecond) & ~kWhitenerMask;
  store_be64(t.data(), kTai64Base + static_cast<std::uint64_t>(secs));
  store_be32(t.data() + 8, nanos);
  return t;
}

bool tai64n_after(const Tai64n& a, const Tai64n& b) {
  return std::memcmp(a.data(), b.data(), a.size()) > 0;
}

}  // namespace wgd::wg
