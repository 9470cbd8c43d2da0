// The few facts about an IP packet the protocol core needs: version, addresses, true length.
#pragma once

#include <cstdint>
#include <optional>

#include "util/bytes.h"

namespace wgd::wg {

struct IpHeaderFacts {
  int version = 0;             // 4 or 6
  const std::uint8_t* source;  // 4 or 16 bytes inside the packet
  const std::uint8_t* destination;
  std::size_t total_length;    // from the header; <= the buffer
};

// nullopt unless `packet` starts with a well-formed IPv4/IPv6 header whose length fits.
inline std::optional<IpHeaderFacts> ip_header_facts(ByteSpan packet) {
  if (packet.empty()) return std::nullopt;
  const int version = packet[0] >> 4;
  if (version == 4 && packet.size() >= 20) {
    const std::size_t len = load_be16(packet.data() + 2);
    if (len < 20 || len > packet.size()) return std::nullopt;
    return IpHeaderFacts{4, packet.data() + 12, packet.data() + 16, len};
  }
  if (version == 6 && packet.size() >= 40) {
    const std::size_t len = std::size_t{load_be16(packet.data() + 4)} + 40;
    if (len > packet.size()) return std::nullopt;
    return IpHeaderFacts{6, packet.data() + 8, packet.data() + 24, len};
  }
  return std::nullopt;
}

// Only the destination, for routing outgoing packets (which the kernel wrote, so the length
// need not be checked again).
inline const std::uint8_t* ip_destination(ByteSpan packet, int& version) {
  if (packet.empty()) return nullptr;
  version = packet[0] >> 4;
  if (version == 4 && packet.size() >= 20) return packet.data() + 16;
  if (version == 6 && packet.size() >= 40) return packet.data() + 24;
  return nullptr;
}

}  // namespace wgd::wg
