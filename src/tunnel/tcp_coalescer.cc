#include "tunnel/tcp_coalescer.h"

#include <netinet/in.h>

#include <cstring>

#include "tunnel/checksum.h"

namespace wgd::tunnel {
namespace {

constexpr std::uint8_t kAck = 0x10;
constexpr std::uint8_t kPsh = 0x08;
constexpr std::size_t kMaxLookback = 8;  // flows interleave little within one batch
constexpr std::size_t kMaxTotal = 65535;

struct TcpFacts {
  std::size_t ip_len = 0, tcp_len = 0;
  bool v6 = false;
};

// Whether `p` is a TCP segment we may merge at all; fills its header lengths.
bool candidate(ByteSpan p, TcpFacts& f) {
  if (p.size() < 40) return false;
  const int version = p[0] >> 4;
  if (version == 4) {
    if ((p[0] & 0x0f) != 5 || p[9] != IPPROTO_TCP) return false;  // IP options: never merged
    if (load_be16(p.data() + 2) != p.size()) return false;
    if ((p[6] & 0x20) || (load_be16(p.data() + 6) & 0x1fff)) return false;  // fragments
    f.ip_len = 20;
    f.v6 = false;
  } else if (version == 6) {
    if (p.size() < 60 || p[6] != IPPROTO_TCP) return false;  // no extension headers
    if (std::size_t{load_be16(p.data() + 4)} + 40 != p.size()) return false;
    f.ip_len = 40;
    f.v6 = true;
  } else {
    return false;
  }
  f.tcp_len = static_cast<std::size_t>(p[f.ip_len + 12] >> 4) * 4;
  if (f.tcp_len < 20 || f.ip_len + f.tcp_len >= p.size()) return false;  // no payload: no merge
  const std::uint8_t flags = p[f.ip_len + 13];
  return flags == kAck || flags == (kAck | kPsh);
}

bool ip_headers_compatible(ByteSpan a, ByteSpan b, bool v6) {
  if (v6) return a[0] == b[0] && (a[1] >> 4) == (b[1] >> 4) && a[7] == b[7];
  return a[1] == b[1] && (a[6] >> 5) == (b[6] >> 5) && a[8] == b[8];
}

}  // namespace

TcpCoalescer::TcpCoalescer(bool merge) : merge_(merge) { pieces_.reserve(64); }

void TcpCoalescer::reset() {
  items_.clear();
  parts_.clear();
}

void TcpCoalescer::add(MutableByteSpan packet) {
  TcpFacts f;
  if (merge_ && candidate(packet, f)) {
    const std::size_t from = items_.size() > kMaxLookback ? items_.size() - kMaxLookback : 0;
    for (std::size_t i = items_.size(); i-- > from;)
      if (try_append(items_[i], packet, f.ip_len, f.tcp_len, f.v6)) return;
    Item item;
    item.head = packet;
    item.ip_len = f.ip_len;
    item.tcp_len = f.tcp_len;
    item.v6 = f.v6;
    item.gso_size = static_cast<std::uint16_t>(packet.size() - f.ip_len - f.tcp_len);
    item.next_seq = load_be32(packet.data() + f.ip_len + 4) + item.gso_size;
    item.total = packet.size();
    item.closed = (packet[f.ip_len + 13] & kPsh) != 0;
    items_.push_back(item);
    return;
  }
  Item passthrough;
  passthrough.head = packet;
  items_.push_back(passthrough);
}

bool TcpCoalescer::try_append(Item& item, ByteSpan p, std::size_t ip_len, std::size_t tcp_len,
                              bool v6) {
  if (item.ip_len == 0 || item.closed || item.v6 != v6 || item.ip_len != ip_len ||
      item.tcp_len != tcp_len)
    return false;
  const ByteSpan h = item.head;
  const std::size_t alen = v6 ? 16 : 4;
  const std::size_t addrs = v6 ? 8 : 12;
  // Same flow: addresses, ports, and the ACK number (different ACKs are different "flows").
  if (std::memcmp(h.data() + addrs, p.data() + addrs, 2 * alen) != 0) return false;
  if (std::memcmp(h.data() + ip_len, p.data() + ip_len, 4) != 0) return false;          // ports
  if (std::memcmp(h.data() + ip_len + 8, p.data() + ip_len + 8, 4) != 0) return false;  // ack
  if (load_be32(p.data() + ip_len + 4) != item.next_seq) return false;
  // Window and the other header bits (besides PSH), and the options, must match.
  if (h[ip_len + 12] != p[ip_len + 12] || (h[ip_len + 13] & ~kPsh) != (p[ip_len + 13] & ~kPsh) ||
      std::memcmp(h.data() + ip_len + 14, p.data() + ip_len + 14, 2) != 0 ||
      std::memcmp(h.data() + ip_len + 20, p.data() + ip_len + 20, tcp_len - 20) != 0)
    return false;
  if (!ip_headers_compatible(h, p, v6)) return false;
  const std::size_t payload = p.size() - ip_len - tcp_len;
  if (payload > item.gso_size || item.total + payload > kMaxTotal) return false;

  parts_.push_back({p.subspan(ip_len + tcp_len), -1});
  const int index = static_cast<int>(parts_.size() - 1);
  if (item.last_part >= 0) parts_[item.last_part].next = index;
  else item.first_part = index;
  item.last_part = index;
  ++item.parts;
  item.total += payload;
  item.next_seq += static_cast<std::uint32_t>(payload);
  item.psh_last = (p[ip_len + 13] & kPsh) != 0;
  if (item.psh_last || payload < item.gso_size) item.closed = true;
  ++merged_total_;
  return true;
}

VirtioNetHdr TcpCoalescer::finish_merge(const Item& item) {
  std::uint8_t* out = item.head.data();
  const std::size_t len = item.total;
  const std::size_t ip = item.ip_len;
  if (item.psh_last) out[ip + 13] |= kPsh;  // the last segment's PSH carries over
  const std::size_t alen = item.v6 ? 16 : 4;
  if (item.v6) {
    store_be16(out + 4, static_cast<std::uint16_t>(len - 40));
  } else {
    store_be16(out + 2, static_cast<std::uint16_t>(len));
    out[10] = out[11] = 0;
    store_be16(out + 10, checksum_finish(checksum_add({out, 20})));
  }
  // CHECKSUM_PARTIAL: the field holds the pseudo-header sum (as a NIC's offload expects).
  const std::uint8_t* src = out + (item.v6 ? 8 : 12);
  store_be16(out + ip + 16,
             checksum_fold(pseudo_header_sum(IPPROTO_TCP, src, src + alen, alen, len - ip)));
  VirtioNetHdr hdr;
  hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  hdr.gso_type = item.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
  hdr.hdr_len = static_cast<std::uint16_t>(ip + item.tcp_len);
  hdr.gso_size = item.gso_size;
  hdr.csum_start = static_cast<std::uint16_t>(ip);
  hdr.csum_offset = 16;
  return hdr;
}

}  // namespace wgd::tunnel
