// Fixed-size secret bytes: move-only, wiped when destroyed or moved from.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace wgd::crypto {

template <std::size_t N>
class Secret {
 public:
  static constexpr std::size_t kSize = N;

  Secret() { bytes_.fill(0); }
  explicit Secret(std::span<const std::uint8_t, N> from) {
    std::copy(from.begin(), from.end(), bytes_.begin());
  }
  Secret(Secret&& o) noexcept : bytes_(o.bytes_) { o.wipe(); }
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) {
      bytes_ = o.bytes_;
      o.wipe();
    }
    return *this;
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret() { wipe(); }

  // Explicit copies only, so a secret never duplicates by accident.
  Secret clone() const {
    Secret s;
    s.bytes_ = bytes_;
    return s;
  }

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  static constexpr std::size_t size() { return N; }
  std::span<std::uint8_t, N> span() { return bytes_; }
  std::span<const std::uint8_t, N> span() const { return bytes_; }

  bool is_zero() const { return sodium_is_zero(bytes_.data(), N) == 1; }
  void wipe() { sodium_memzero(bytes_.data(), N); }

 private:
  std::array<std::uint8_t, N> bytes_;
};

}  // namespace wgd::crypto
