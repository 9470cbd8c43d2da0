#pragma once

#include <sodium.h>

#include <cstdint>
#include <span>

namespace wgd::crypto {

// Constant-time equality of two equal-length byte strings (false when the lengths differ).
inline bool equal_ct(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace wgd::crypto
