// The sliding window of received nonces (RFC 6479 style, as the kernel's counter.c):
// accepts each counter at most once and rejects counters older than the window.
#pragma once

#include <array>
#include <cstdint>

namespace wgd::wg {

class ReplayWindow {
 public:
  static constexpr int kWordBits = 64;
  static constexpr int kTotalBits = 8192;
  static constexpr int kWords = kTotalBits / kWordBits;
  // One word of the ring is always being recycled, so the usable window is one word short.
  static constexpr std::uint64_t kWindowSize = kTotalBits - kWordBits;

  explicit ReplayWindow(std::uint64_t reject_after_messages);

  // Checks and records `counter` (a nonce whose packet has already been authenticated).
  // Returns false for a replay, a counter too old for the window, or one at/after the limit.
  bool accept(std::uint64_t counter);
  // The next counter after the highest one accepted (0 when none yet).
  std::uint64_t highest() const { return next_; }

 private:
  std::uint64_t reject_after_;
  std::uint64_t next_ = 0;  // one past the greatest accepted counter
  std::array<std::uint64_t, kWords> ring_{};
};

}  // namespace wgd::wg
