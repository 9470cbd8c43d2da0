// The replay window against a numbered table of cases, in the spirit of the kernel's
// counter selftest, plus randomised agreement with a trivially correct model.
#include "wg/replay_window.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "wg/constants.h"

namespace wgd::wg {
namespace {

constexpr std::uint64_t W = ReplayWindow::kWindowSize;

TEST(ReplayWindow, NumberedCases) {
  ReplayWindow w(kRejectAfterMessages);
  struct Case {
    std::uint64_t counter;
    bool accepted;
  };
  const Case cases[] = {
      {0, true},          {1, true},          {1, false},     {9, true},
      {8, true},          {7, true},          {7, false},     {W, true},
      {W - 1, true},      {W - 1, false},     {W - 2, true},  {2, true},
      {2, false},         {W + 16, true},     {3, false},     {W + 16, false},
      {W * 4, true},      {W * 4 - (W - 1), true},           {10, false},
      {W * 4 - W, true},  // the oldest counter the window still holds
      {W * 4 - W - 1, false},  // one older: gone
      {W * 4 - (W - 1), false},          {W * 4 + 1, true},
  };
  int i = 0;
  for (const Case& c : cases) {
    EXPECT_EQ(w.accept(c.counter), c.accepted) << "case " << i << " counter " << c.counter;
    ++i;
  }
}

TEST(ReplayWindow, BigJumpsClearTheWholeRing) {
  ReplayWindow w(kRejectAfterMessages);
  for (std::uint64_t c = 0; c < 100; ++c) ASSERT_TRUE(w.accept(c));
  ASSERT_TRUE(w.accept(1'000'000));
  // Everything in the new window below the front is unseen, everything older is too old.
  EXPECT_TRUE(w.accept(1'000'000 - 1));
  EXPECT_TRUE(w.accept(1'000'000 - (W - 1)));
  EXPECT_FALSE(w.accept(1'000'000 - W - 1));
  EXPECT_FALSE(w.accept(50));
}

TEST(ReplayWindow, RejectsAtAndAfterTheLimit) {
  ReplayWindow w(100);
  EXPECT_TRUE(w.accept(98));
  EXPECT_TRUE(w.accept(99));
  EXPECT_FALSE(w.accept(100));
  EXPECT_FALSE(w.accept(~0ULL));
  EXPECT_FALSE(w.accept(~0ULL - 1));
}

TEST(ReplayWindow, AgreesWithAModelOnRandomTraffic) {
  std::mt19937_64 gen(42);
  ReplayWindow w(kRejectAfterMessages);
  std::set<std::uint64_t> seen;
  std::uint64_t highest = 0;
  bool any = false;
  for (int i = 0; i < 200000; ++i) {
    // Mostly forward traffic with reordering, sometimes old or duplicate counters.
    std::uint64_t c;
    const auto r = gen() % 10;
    if (r < 6 || !any) c = highest + gen() % 40;
    else if (r < 9) c = highest > 9000 ? highest - gen() % 9000 : gen() % (highest + 1);
    else c = *seen.rbegin();
    const bool expect = !seen.count(c) && (!any || c + W >= highest);
    ASSERT_EQ(w.accept(c), expect) << "step " << i << " counter " << c << " highest " << highest;
    if (expect) {
      seen.insert(c);
      if (!any || c > highest) highest = c;
      any = true;
    }
  }
}

}  // namespace
}  // namespace wgd::wg
