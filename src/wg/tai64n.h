// TAI64N timestamps of handshake initiations (12 bytes, big-endian, so that byte order is
// time order and a memcmp decides "newer").
#pragma once

#include <array>
#include <cstdint>

#include "wg/clock.h"

namespace wgd::wg {

using Tai64n = std::array<std::uint8_t, 12>;

// Nanoseconds are rounded down to a multiple of 2^24 (about 16.8 ms), as the kernel and
// wireguard-go do, so a timestamp does not leak a precise clock reading.
Tai64n tai64n_from_unix_nanos(Nanos wall);
// True when `a` is strictly later than `b`.
bool tai64n_after(const Tai64n& a, const Tai64n& b);

}  // namespace wgd::wg
