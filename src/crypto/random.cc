#include "crypto/random.h"

#include <sodium.h>

#include "crypto/init.h"

namespace wgd::crypto {

void random_bytes(std::span<std::uint8_t> out) {
  ensure_initialized();
  randombytes_buf(out.data(), out.size());
}

std::uint32_t random_u32() {
  ensure_initialized();
  return randombytes_random();
}

std::uint32_t random_uniform(std::uint32_t upper_bound) {
  ensure_initialized();
  return randombytes_uniform(upper_bound);
}

}  // namespace wgd::crypto
