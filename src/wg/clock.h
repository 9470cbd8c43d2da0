// Time as the protocol core sees it: always passed in, never read.
#pragma once

#include <cstdint>
#include <limits>

namespace wgd::wg {

using Nanos = std::int64_t;
inline constexpr Nanos kSecond = 1'000'000'000;
inline constexpr Nanos kMillisecond = 1'000'000;
inline constexpr Nanos kNever = std::numeric_limits<Nanos>::max();
// "A very long time ago": far enough back for every rate limit, yet `now - kLongAgo` does not
// overflow (unlike -kNever) for any clock reading below about 70 years.
inline constexpr Nanos kLongAgo = -(kNever / 4);

// `mono` drives every timer (CLOCK_MONOTONIC/BOOTTIME in production, a fake clock in tests);
// `wall` (Unix time in ns) only feeds TAI64N timestamps and the "latest handshake" read-out.
struct Now {
  Nanos mono = 0;
  Nanos wall = 0;
};

}  // namespace wgd::wg
