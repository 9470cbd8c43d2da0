#include "tunnel/checksum.h"

#include <cstring>

namespace wgd::tunnel {

std::uint64_t checksum_add(ByteSpan data, std::uint64_t sum) {
  // One's complement addition is endian-neutral as long as the final fold is byte-swapped back
  // (RFC 1071 section 2 (B)): add native 64-bit words into a 128-bit accumulator (add + adc,
  // no carry bookkeeping in the loop), fold once at the end, swap once.
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  unsigned __int128 acc = 0;
  while (n >= 32) {
    std::uint64_t w[4];
    std::memcpy(w, p, 32);
    acc += w[0];
    acc += w[1];
    acc += w[2];
    acc += w[3];
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    acc += w;
    p += 8;
    n -= 8;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p, n);  // little-endian: the bytes keep their positions in 16-bit lanes
  acc += tail;
  // 128 -> 64 -> 32 -> 16 bits with end-around carries.
  std::uint64_t s64 = static_cast<std::uint64_t>(acc) + static_cast<std::uint64_t>(acc >> 64);
  if (s64 < static_cast<std::uint64_t>(acc)) ++s64;
  std::uint64_t s32 = (s64 & 0xffffffff) + (s64 >> 32);
  while (s32 >> 16) s32 = (s32 & 0xffff) + (s32 >> 16);
  const auto be = static_cast<std::uint16_t>(__builtin_bswap16(static_cast<std::uint16_t>(s32)));
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
