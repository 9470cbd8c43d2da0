// Reading a fuzzer input front to back as a little program: op codes, small numbers, byte runs.
// Running out of input is not an error: every read then yields zeros / an empty run, so any
// byte string is a valid program (the fuzzer never wastes time on "malformed" inputs).
// ByteWriter is the other side, used to write the seed corpus.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "util/bytes.h"

namespace wgd::fuzz {

class ByteReader {
 public:
  explicit ByteReader(ByteSpan input) : in_(input) {}

  bool empty() const { return pos_ >= in_.size(); }
  std::uint8_t u8() { return empty() ? 0 : in_[pos_++]; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() { return u16() | (std::uint32_t{u16()} << 16); }
  std::uint64_t u64() { return u32() | (std::uint64_t{u32()} << 32); }
  bool flag() { return u8() & 1; }
  // Up to `n` bytes (fewer when the input ends first).
  ByteSpan bytes(std::size_t n) {
    const std::size_t take = std::min(n, in_.size() - std::min(pos_, in_.size()));
    ByteSpan out = in_.subspan(std::min(pos_, in_.size()), take);
    pos_ += take;
    return out;
  }
  // A run with a 16-bit length in front, capped at `max`.
  ByteSpan run(std::size_t max) { return bytes(std::min<std::size_t>(u16(), max)); }

 private:
  ByteSpan in_;
  std::size_t pos_ = 0;
};

class ByteWriter {
 public:
  ByteWriter& u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  ByteWriter& u16(std::uint16_t v) { return u8(static_cast<std::uint8_t>(v)).u8(v >> 8); }
  ByteWriter& u32(std::uint32_t v) { return u16(static_cast<std::uint16_t>(v)).u16(v >> 16); }
  ByteWriter& u64(std::uint64_t v) { return u32(static_cast<std::uint32_t>(v)).u32(v >> 32); }
  ByteWriter& bytes(ByteSpan b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }
  ByteWriter& run(ByteSpan b) { return u16(static_cast<std::uint16_t>(b.size())).bytes(b); }
  const Bytes& data() const { return out_; }

 private:
  Bytes out_;
};

}  // namespace wgd::fuzz
