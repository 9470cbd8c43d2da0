#include "wg/tai64n.h"

#include <gtest/gtest.h>

namespace wgd::wg {
namespace {

TEST(Tai64n, LayoutIsBigEndianWithTheTaiBase) {
  // 2021-01-01T00:00:00Z plus 0.5 s.
  const Nanos wall = 1609459200LL * kSecond + 500'000'000;
  const Tai64n t = tai64n_from_unix_nanos(wall);
  const std::uint64_t secs = 0x400000000000000aULL + 1609459200ULL;
  for (int i = 0; i < 8; ++i) EXPECT_EQ(t[i], static_cast<std::uint8_t>(secs >> (56 - 8 * i)));
  // 500,000,000 ns rounded down to a multiple of 2^24.
  const std::uint32_t nanos = 500'000'000u & ~((1u << 24) - 1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(t[8 + i], static_cast<std::uint8_t>(nanos >> (24 - 8 * i)));
}

TEST(Tai64n, OrderFollowsTimeButNotBelowTheWhitenedResolution) {
  const Nanos base = 1700000000LL * kSecond;
  EXPECT_TRUE(tai64n_after(tai64n_from_unix_nanos(base + kSecond), tai64n_from_unix_nanos(base)));
  EXPECT_FALSE(tai64n_after(tai64n_from_unix_nanos(base), tai64n_from_unix_nanos(base + kSecond)));
  EXPECT_FALSE(tai64n_after(tai64n_from_unix_nanos(base), tai64n_from_unix_nanos(base)));
  // Within one 2^24 ns step the timestamps are equal: not "after".
  EXPECT_FALSE(tai64n_after(tai64n_from_unix_nanos(base + 1000), tai64n_from_unix_nanos(base)));
  EXPECT_TRUE(tai64n_after(tai64n_from_unix_nanos(base + 20 * kMillisecond),
                           tai64n_from_unix_nanos(base)));
}

}  // namespace
}  // namespace wgd::wg
