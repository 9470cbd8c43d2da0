#include "tunnel/gso_split.h"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "tunnel/checksum.h"

namespace wgd::tunnel {
namespace {

constexpr std::uint8_t kTcpFin = 0x01;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::size_t kTcpFlagsOffset = 13;

bool is_tcp(std::uint8_t t) { return t == VIRTIO_NET_HDR_GSO_TCPV4 || t == VIRTIO_NET_HDR_GSO_TCPV6; }
bool is_udp(std::uint8_t t) { return t == VIRTIO_NET_HDR_GSO_UDP_L4; }

// Facts about a GSO packet's headers that we derive ourselves rather than trust hdr_len for.
struct Layout {
  bool v6;
  std::size_t ip_header;  // == csum_start
  std::size_t headers;    // ip + transport header
  std::uint8_t protocol;
};

Result<Layout> layout_of(const VirtioNetHdr& hdr, ByteSpan p) {
  if (p.size() < 20) return fail("GSO packet shorter than an IP header", EINVAL);
  Layout l{};
  const int version = p[0] >> 4;
  if (version == 4) {
    l.v6 = false;
    if (hdr.gso_type == VIRTIO_NET_HDR_GSO_TCPV6) return fail("TCPv6 GSO on IPv4", EINVAL);
  } else if (version == 6) {
    l.v6 = true;
    if (hdr.gso_type == VIRTIO_NET_HDR_GSO_TCPV4) return fail("TCPv4 GSO on IPv6", EINVAL);
  } else {
    return fail("GSO packet is not IPv4/IPv6", EINVAL);
  }
  l.ip_header = hdr.csum_start;
  if (l.ip_header < (l.v6 ? 40u : 20u) || l.ip_header + 8 > p.size())
    return fail("GSO checksum start outside the packet", EINVAL);
  if (is_tcp(hdr.gso_type)) {
    if (hdr.csum_offset != 16 || l.ip_header + 20 > p.size())
      return fail("bad TCP checksum offset in GSO header", EINVAL);
    const std::size_t tcp_len = static_cast<std::size_t>(p[l.ip_header + 12] >> 4) * 4;
    if (tcp_len < 20 || l.ip_header + tcp_len > p.size())
      return fail("bad TCP header length in GSO packet", EINVAL);
    l.headers = l.ip_header + tcp_len;
    l.protocol = IPPROTO_TCP;
  } else {
    if (hdr.csum_offset != 6) return fail("bad UDP checksum offset in GSO header", EINVAL);
    l.headers = l.ip_header + 8;
    l.protocol = IPPROTO_UDP;
  }
  return l;
}

}  // namespace

std::size_t gso_segment_count(const VirtioNetHdr& hdr, std::size_t packet_size) {
  if (hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE) return 1;
  if (hdr.gso_size == 0 || hdr.csum_start >= packet_size) return 0;
  // hdr_len is only a hint, but an upper bound on the payload count is enough for sizing.
  const std::size_t payload = packet_size - hdr.csum_start;
  return (payload + hdr.gso_size - 1) / hdr.gso_size;
}

Result<std::size_t> gso_split(const VirtioNetHdr& hdr, MutableByteSpan packet,
                              std::span<std::uint8_t* const> outs, std::span<std::size_t> sizes,
                              std::size_t out_capacity) {
  if (hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
    if (outs.empty() || packet.size() > out_capacity) return fail("packet too large", EMSGSIZE);
    if (hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
      // The kernel put the pseudo-header sum in the checksum field; add the rest and finish.
      const std::size_t at = std::size_t{hdr.csum_start} + hdr.csum_offset;
      if (at + 2 > packet.size() || hdr.csum_start > packet.size())
        return fail("partial checksum outside the packet", EINVAL);
      const std::uint64_t initial = load_be16(packet.data() + at);
      packet[at] = packet[at + 1] = 0;
      store_be16(packet.data() + at,
                 checksum_finish(checksum_add(packet.subspan(hdr.csum_start), initial)));
    }
    std::memcpy(outs[0], packet.data(), packet.size());
    sizes[0] = packet.size();
    return 1;
  }
  if (!is_tcp(hdr.gso_type) && !is_udp(hdr.gso_type))
    return fail("unsupported GSO type " + std::to_string(hdr.gso_type), EINVAL);
  if (hdr.gso_size == 0) return fail("GSO size 0", EINVAL);
  auto layout = layout_of(hdr, packet);
  if (!layout) return std::unexpected(layout.error());
  const Layout& l = *layout;
  if (l.headers + hdr.gso_size > out_capacity) return fail("GSO segment larger than buffers", EMSGSIZE);

  std::uint8_t* in = packet.data();
  const std::size_t addr_len = l.v6 ? 16 : 4;
  const std::uint8_t* src = in + (l.v6 ? 8 : 12);
  const std::uint8_t* dst = src + addr_len;
  const std::size_t csum_at = l.ip_header + hdr.csum_offset;
  in[csum_at] = in[csum_at + 1] = 0;
  if (!l.v6) in[10] = in[11] = 0;
  const std::uint32_t first_seq = l.protocol == IPPROTO_TCP ? load_be32(in + l.ip_header + 4) : 0;
  const std::uint16_t first_id = l.v6 ? 0 : load_be16(in + 4);

  std::size_t count = 0;
  for (std::size_t at = l.headers; at < packet.size(); at += hdr.gso_size, ++count) {
    if (count == outs.size()) return fail("too many GSO segments for the batch", EMSGSIZE);
    const std::size_t end = std::min<std::size_t>(at + hdr.gso_size, packet.size());
    const std::size_t payload = end - at;
    const std::size_t total = l.headers + payload;
    std::uint8_t* out = outs[count];
    std::memcpy(out, in, l.headers);
    std::memcpy(out + l.headers, in + at, payload);
    if (l.v6) {
      store_be16(out + 4, static_cast<std::uint16_t>(total - l.ip_header));
    } else {
      // Each IPv4 segment gets its own ID, as the kernel's segmentation does.
      store_be16(out + 4, static_cast<std::uint16_t>(first_id + count));
      store_be16(out + 2, static_cast<std::uint16_t>(total));
      store_be16(out + 10, checksum_finish(checksum_add({out, l.ip_header})));
    }
    if (l.protocol == IPPROTO_TCP) {
      store_be32(out + l.ip_header + 4,
                 first_seq + static_cast<std::uint32_t>(count * hdr.gso_size));
      if (end != packet.size()) out[l.ip_header + kTcpFlagsOffset] &= ~(kTcpFin | kTcpPsh);
    } else {
      store_be16(out + l.ip_header + 4, static_cast<std::uint16_t>(total - l.ip_header));
    }
    const std::uint64_t pseudo =
        pseudo_header_sum(l.protocol, src, dst, addr_len, total - l.ip_header);
    std::uint16_t csum = checksum_finish(checksum_add({out + l.ip_header, total - l.ip_header}, pseudo));
    if (l.protocol == IPPROTO_UDP && csum == 0) csum = 0xffff;  // 0 means "none" for UDP
    store_be16(out + csum_at, csum);
    sizes[count] = total;
  }
  return count;
}

}  // namespace wgd::tunnel
