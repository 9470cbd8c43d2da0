// The input language of the gro_coalescer fuzz target: which merges are allowed, then a list
// of packets as a receiving wgd would hand them to its GroCoalescer. Most are built TCP
// segments and UDP datagrams of a few flows (so that merges happen: contiguous sequence
// numbers, equal sizes), with header fields the merge rules look at varied; some are raw bytes
// (a peer may tunnel anything). Payload bytes encode the packet's index, so every packet of a
// program is distinct.
//
//   program := merge:u8 packet*            merge: bit 0 TCP, bit 1 UDP over IPv4, bit 2 IPv6
//   packet  := op:u8 body
//     op bits 0-1: 0 raw, 1 TCP, 2 and 3 UDP;  bit 2: IPv6;  bits 3-4: flow (3: other addresses)
//     bits 5-7: TTL/hop limit 63 instead of 64 | other TOS/traffic class | TCP: random sequence
//   raw body := run (at most 256 bytes)
//   TCP body := payload:u16 (mod 1401) flags:u8 (< 192 ACK, < 240 ACK|PSH, else itself)
//               options:u8 (odd: 12 bytes of timestamps) [seq:u32 when random]
//   UDP body := payload:u16 (mod 1401)
#pragma once

#include <map>
#include <vector>

#include "byte_reader.h"
#include "util/bytes.h"

namespace wgd::fuzz {

struct GroProgram {
  bool tcp = false, udp4 = false, udp6 = false;
  std::vector<Bytes> packets;
};

inline constexpr std::size_t kGroMaxPackets = 96;

inline Bytes gro_build_packet(ByteReader& in, std::size_t index,
                              std::map<int, std::uint32_t>& next_seq) {
  const std::uint8_t op = in.u8();
  const int kind = op & 3;
  if (kind == 0) {
    const ByteSpan raw = in.run(256);
    return Bytes(raw.begin(), raw.end());
  }
  const bool tcp = kind == 1, v6 = op & 4;
  const int flow = (op >> 3) & 3;
  const bool ttl63 = op & 0x20, tos = op & 0x40, random_seq = op & 0x80;
  const std::size_t payload = in.u16() % 1401;
  std::uint8_t flags = 0x10;
  std::size_t options = 0;
  if (tcp) {
    const std::uint8_t f = in.u8();
    flags = f < 192 ? 0x10 : f < 240 ? 0x18 : f;
    options = (in.u8() & 1) ? 12 : 0;
  }
  const std::size_t ip = v6 ? 40 : 20, l4 = tcp ? 20 + options : 8;
  Bytes p(ip + l4 + payload, 0);
  for (std::size_t i = 0; i < payload; ++i)
    p[ip + l4 + i] = static_cast<std::uint8_t>(index * 7 + i * 13 + (i >> 8));
  const std::uint8_t last_octet = flow == 3 ? 9 : 1;
  if (v6) {
    p[0] = static_cast<std::uint8_t>(0x60 | (tos ? 0x0b : 0));
    store_be16(p.data() + 4, static_cast<std::uint16_t>(l4 + payload));
    p[6] = tcp ? 6 : 17;
    p[7] = ttl63 ? 63 : 64;
    p[8] = 0xfd, p[23] = last_octet;
    p[24] = 0xfd, p[39] = 2;
  } else {
    p[0] = 0x45;
    p[1] = tos ? 0x10 : 0;
    store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
    store_be16(p.data() + 4, static_cast<std::uint16_t>(index));
    p[6] = 0x40;
    p[8] = ttl63 ? 63 : 64;
    p[9] = tcp ? 6 : 17;
    p[12] = 10, p[15] = last_octet;
    p[16] = 10, p[19] = 2;
  }
  store_be16(p.data() + ip, static_cast<std::uint16_t>(40000 + (flow & 1)));
  store_be16(p.data() + ip + 2, static_cast<std::uint16_t>(5201 + (flow >> 1)));
  if (tcp) {
    const int key = (v6 ? 8 : 0) + flow;
    auto [it, fresh] = next_seq.try_emplace(key, 1000u);
    const std::uint32_t seq = random_seq ? in.u32() : it->second;
    it->second = seq + static_cast<std::uint32_t>(payload);
    store_be32(p.data() + ip + 4, seq);
    store_be32(p.data() + ip + 8, 777);
    p[ip + 12] = static_cast<std::uint8_t>(((20 + options) / 4) << 4);
    p[ip + 13] = flags;
    store_be16(p.data() + ip + 14, 512);
    if (options) {
      const std::uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 3};
      std::copy(ts, ts + 12, p.begin() + static_cast<std::ptrdiff_t>(ip + 20));
    }
  } else {
    store_be16(p.data() + ip + 4, static_cast<std::uint16_t>(8 + payload));
  }
  return p;
}

inline GroProgram gro_read_program(ByteSpan input) {
  ByteReader in(input);
  GroProgram prog;
  const std::uint8_t merge = in.u8();
  prog.tcp = merge & 1, prog.udp4 = merge & 2, prog.udp6 = merge & 4;
  std::map<int, std::uint32_t> next_seq;
  while (!in.empty() && prog.packets.size() < kGroMaxPackets)
    prog.packets.push_back(gro_build_packet(in, prog.packets.size(), next_seq));
  return prog;
}

}  // namespace wgd::fuzz
