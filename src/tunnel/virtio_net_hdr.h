// The virtio-net header a TUN device with IFF_VNET_HDR puts before every packet: it carries
// the segmentation (GSO) and checksum-offload state of the kernel's socket buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>

#include "util/bytes.h"

namespace wgd::tunnel {

// The constants of <linux/virtio_net.h>, which cannot be included from C++ (a field there is
// named `class`). Values are the kernel ABI (include/uapi/linux/virtio_net.h).
inline constexpr std::uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
inline constexpr std::uint8_t VIRTIO_NET_HDR_F_DATA_VALID = 2;  // checksums verified already
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_NONE = 0;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_TCPV4 = 1;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_UDP = 3;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_TCPV6 = 4;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_UDP_L4 = 5;  // Linux 6.2+
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_ECN = 0x80;

// struct virtio_net_hdr: flags, gso_type, then four 16-bit fields; no padding.
inline constexpr std::size_t kVirtioNetHdrSize = 10;

// Host byte order: TUN uses the native ("legacy") endianness unless told otherwise.
struct VirtioNetHdr {
  std::uint8_t flags = 0;
  std::uint8_t gso_type = VIRTIO_NET_HDR_GSO_NONE;
  std::uint16_t hdr_len = 0;
  std::uint16_t gso_size = 0;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;

  static VirtioNetHdr decode(const std::uint8_t* p) {
    VirtioNetHdr h;
    h.flags = p[0];
    h.gso_type = p[1];
    std::memcpy(&h.hdr_len, p + 2, 2);
    std::memcpy(&h.gso_size, p + 4, 2);
    std::memcpy(&h.csum_start, p + 6, 2);
    std::memcpy(&h.csum_offset, p + 8, 2);
    return h;
  }
  void encode(std::uint8_t* p) const {
    p[0] = flags;
    p[1] = gso_type;
    std::memcpy(p + 2, &hdr_len, 2);
    std::memcpy(p + 4, &gso_size, 2);
    std::memcpy(p + 6, &csum_start, 2);
    std::memcpy(p + 8, &csum_offset, 2);
  }
};

}  // namespace wgd::tunnel
