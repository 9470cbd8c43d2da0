// Cryptographically secure random bytes (libsodium's randombytes, i.e. getrandom()).
#pragma once

#include <cstdint>
#include <span>

namespace wgd::crypto {

void random_bytes(std::span<std::uint8_t> out);
std::uint32_t random_u32();
// Uniform in [0, upper_bound) without modulo bias.
std::uint32_t random_uniform(std::uint32_t upper_bound);

}  // namespace wgd::crypto
