// Hex helpers for known-answer tests.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>
#include <vector>

#include "util/bytes.h"

namespace wgd::test {

inline Bytes unhex(std::string_view hex) {
  std::string clean;
  for (char c : hex)
    if (c != ' ' && c != ':' && c != '\n') clean += c;
  Bytes out(clean.size() / 2);
  if (out.empty()) return out;  // sodium_hex2bin must not get a null buffer
  std::size_t len = 0;
  if (sodium_hex2bin(out.data(), out.size(), clean.data(), clean.size(), nullptr, &len, nullptr) !=
          0 ||
      len != out.size())
    throw std::invalid_argument("bad hex in test vector");
  return out;
}

inline std::string hex(ByteSpan b) {
  std::string out(b.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), b.data(), b.size());
  out.pop_back();
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> unhex_array(std::string_view h) {
  Bytes b = unhex(h);
  if (b.size() != N) throw std::invalid_argument("test vector has the wrong length");
  std::array<std::uint8_t, N> a;
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

}  // namespace wgd::test
