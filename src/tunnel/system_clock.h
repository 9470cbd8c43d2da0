// The only place the data plane reads the clock: once per batch, handed to the protocol core.
#pragma once

#include <time.h>

#include "wg/clock.h"

namespace wgd::tunnel {

// Timers run on CLOCK_BOOTTIME, as the kernel's WireGuard does, so time asleep counts.
inline constexpr clockid_t kTimerClock = CLOCK_BOOTTIME;

inline wg::Nanos read_clock(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return wg::Nanos{ts.tv_sec} * wg::kSecond + ts.tv_nsec;
}

inline wg::Now clock_now() { return {read_clock(kTimerClock), read_clock(CLOCK_REALTIME)}; }

}  // namespace wgd::tunnel
