// Shared helpers of the protocol core's tests: a deterministic RNG, a capturing sink, and
// minimal IP packets. Test-only: the RNG here is NOT cryptographic.
#pragma once

#include <cstdint>
#include <vector>

#include "util/bytes.h"
#include "util/ip.h"
#include "wg/device.h"
#include "wg/rng.h"

namespace wgd::wg::test {

// splitmix64: reproducible randomness so that every test run is the same run.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(std::uint64_t seed) : state_(seed) {}
  void fill(MutableByteSpan out) override {
    for (auto& b : out) {
      if (left_ == 0) {
        word_ = next();
        left_ = 8;
      }
      b = static_cast<std::uint8_t>(word_);
      word_ >>= 8;
      --left_;
    }
  }
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
  std::uint64_t word_ = 0;
  int left_ = 0;
};

struct Datagram {
  Endpoint to;
  Bytes bytes;
};

class CaptureSink final : public Sink {
 public:
  void send(const Endpoint& to, ByteSpan d) override { sent.push_back({to, Bytes(d.begin(), d.end())}); }
  void deliver(ByteSpan p) override { delivered.emplace_back(p.begin(), p.end()); }
  std::vector<Datagram> take_sent() { return std::exchange(sent, {}); }
  std::vector<Bytes> take_delivered() { return std::exchange(delivered, {}); }

  std::vector<Datagram> sent;
  std::vector<Bytes> delivered;
};

// A minimal IPv4 packet (header + payload) from src to dst.
inline Bytes ipv4_packet(std::string_view src, std::string_view dst, std::size_t payload,
                         std::uint8_t fill = 0xab) {
  Bytes p(20 + payload, fill);
  p[0] = 0x45;
  p[1] = 0;
  store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 17;
  std::memcpy(p.data() + 12, IpAddress::parse(src)->bytes(), 4);
  std::memcpy(p.data() + 16, IpAddress::parse(dst)->bytes(), 4);
  return p;
}

inline Bytes ipv6_packet(std::string_view src, std::string_view dst, std::size_t payload) {
  Bytes p(40 + payload, 0xcd);
  p[0] = 0x60;
  store_be16(p.data() + 4, static_cast<std::uint16_t>(payload));
  p[6] = 17;
  p[7] = 64;
  std::memcpy(p.data() + 8, IpAddress::parse(src)->bytes(), 16);
  std::memcpy(p.data() + 24, IpAddress::parse(dst)->bytes(), 16);
  return p;
}

}  // namespace wgd::wg::test
