// Randomness as a parameter, so that tests can make the core deterministic.
#pragma once

#include <cstdint>

#include "util/bytes.h"

namespace wgd::wg {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(MutableByteSpan out) = 0;

  std::uint32_t u32() {
    std::uint8_t b[4];
    fill(b);
    return load_le32(b);
  }
  // Uniform in [0, bound), bound > 0.
  std::uint32_t below(std::uint32_t bound) {
    const std::uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
    for (;;) {
      std::uint32_t v = u32();
      if (v < limit) return v % bound;
    }
  }
};

// The operating system's CSPRNG (getrandom via libsodium).
class SystemRng final : public Rng {
 public:
  void fill(MutableByteSpan out) override;
};

}  // namespace wgd::wg
