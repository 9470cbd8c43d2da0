#include "tunnel/checksum.h"

#include <cstring>

namespace wgd::tunnel {

std::uint64_t checksum_add(ByteSpan data, std::uint64_t sum) {
  // One's complement addition is endian-neutral as long as the final fold is byte-swapped back:
  // sum native 32-bit words, then swap once (RFC 1071 section 2 (B)).
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  std::uint64_t acc = 0;
  while (n >= 32) {
    std::uint32_t w[8];
    std::memcpy(w, p, 32);
    acc += std::uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
    p += 32;
    n -= 32;
  }
  while (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n) acc += *p;  // little-endian: the odd byte is the high byte of a big-endian word
  // Fold to 16 bits in host order, then to network order.
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  const auto be = static_cast<std::uint16_t>(__builtin_bswap16(static_cast<std::uint16_t>(acc)));
  return sum + be;
}

std::uint16_t checksum_fold(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint64_t pseudo_header_sum(std::uint8_t protocol, const std::uint8_t* src,
                                const std::uint8_t* dst, std::size_t address_length,
                                std::size_t l4_length) {
  std::uint64_t sum = checksum_add({src, address_length});
  sum = checksum_add({dst, address_length}, sum);
  return sum + protocol + l4_length;
}

}  // namespace wgd::tunnel
