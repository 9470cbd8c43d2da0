// The Internet checksum (RFC 1071) for IPv4 headers and TCP/UDP, as segmentation and
// coalescing must rewrite headers. Sums are kept unfolded in 64 bits until the end.
#pragma once

#include <cstdint>

#include "util/bytes.h"

namespace wgd::tunnel {

// Adds `data` (as big-endian 16-bit words, odd byte padded) to a running sum.
std::uint64_t checksum_add(ByteSpan data, std::uint64_t sum = 0);
// Folds a running sum to 16 bits (not complemented).
std::uint16_t checksum_fold(std::uint64_t sum);
// The final checksum field value: ~fold(sum).
inline std::uint16_t checksum_finish(std::uint64_t sum) {
  return static_cast<std::uint16_t>(~checksum_fold(sum));
}
// The TCP/UDP pseudo-header sum: addresses (4 or 16 bytes each), protocol, L4 length.
std::uint64_t pseudo_header_sum(std::uint8_t protocol, const std::uint8_t* src,
                                const std::uint8_t* dst, std::size_t address_length,
                                std::size_t l4_length);

}  // namespace wgd::tunnel
