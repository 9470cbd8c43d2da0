// Byte spans and fixed-endian loads/stores used by the wire formats.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace wgd {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::uint32_t load_le32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // x86_64 and aarch64 are little-endian; static_assert below keeps us honest.
}
inline std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline void store_le32(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, 4); }
inline void store_le64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
inline std::uint32_t load_be32(const std::uint8_t* p) { return __builtin_bswap32(load_le32(p)); }
inline std::uint64_t load_be64(const std::uint8_t* p) { return __builtin_bswap64(load_le64(p)); }
inline void store_be32(std::uint8_t* p, std::uint32_t v) { store_le32(p, __builtin_bswap32(v)); }
inline void store_be64(std::uint8_t* p, std::uint64_t v) { store_le64(p, __builtin_bswap64(v)); }
inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wgd assumes a little-endian host");

}  // namespace wgd
