#include "wg/replay_window.h"

#include <algorithm>

namespace wgd::wg {

ReplayWindow::ReplayWindow(std::uint64_t reject_after_messages)
    : reject_after_(reject_after_messages) {}

bool ReplayWindow::accept(std::uint64_t counter) {
  if (counter >= reject_after_ || next_ >= reject_after_ + 1) return false;
  // Work with counter + 1 so that "nothing received yet" (next_ == 0) needs no special case.
  const std::uint64_t c = counter + 1;
  if (c + kWindowSize < next_) return false;  // too old: fell off the back of the window
  const std::uint64_t word = c / kWordBits;
  if (c > next_) {
    // Moving forward: clear the words between the old front and the new one.
    const std::uint64_t old_word = next_ / kWordBits;
    const std::uint64_t steps = std::min<std::uint64_t>(word - old_word, kWords);
    for (std::uint64_t i = 1; i <= steps; ++i) ring_[(old_word + i) % kWords] = 0;
    next_ = c;
  }
  std::uint64_t& slot = ring_[word % kWords];
  const std::uint64_t bit = 1ULL << (c % kWordBits);
  if (slot & bit) return false;  // seen before
  slot |= bit;
  return true;
}

}  // namespace wgd::wg
