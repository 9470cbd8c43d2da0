#include "tunnel/gro_coalescer.h"

#include <netinet/in.h>

#include <cstring>

#include "tunnel/checksum.h"

namespace wgd::tunnel {
namespace {

constexpr std::uint8_t kAck = 0x10;
constexpr std::uint8_t kPsh = 0x08;
constexpr std::size_t kMaxLookback = 8;  // flows interleave little within one batch
constexpr std::size_t kMaxTotal = 65535;
constexpr std::size_t kUdpHeader = 8;

// What the kernel's inet/ipv6 GRO also insists on: IPv4 TOS, DF and TTL; IPv6 traffic class,
// flow label and hop limit (the merged packet can carry only one of each).
bool ip_headers_compatible(ByteSpan a, ByteSpan b, bool v6) {
  if (v6) return std::memcmp(a.data(), b.data(), 4) == 0 && a[7] == b[7];
  return a[1] == b[1] && (a[6] >> 5) == (b[6] >> 5) && a[8] == b[8];
}

// Same source and destination address.
bool same_addresses(ByteSpan a, ByteSpan b, bool v6) {
  const std::size_t at = v6 ? 8 : 12;
  return std::memcmp(a.data() + at, b.data() + at, v6 ? 32 : 8) == 0;
}

// Same addresses and ports (the 4 bytes at the start of the TCP or UDP header).
bool same_flow(ByteSpan a, ByteSpan b, std::size_t ip_len, bool v6) {
  return same_addresses(a, b, v6) && std::memcmp(a.data() + ip_len, b.data() + ip_len, 4) == 0;
}

}  // namespace

// Whether a packet may be merged at all, and its header lengths.
struct GroCoalescer::Facts {
  Kind kind = Kind::kOther;
  std::size_t ip_len = 0, l4_len = 0;
  bool v6 = false;

  static Facts of(ByteSpan p, const Merge& merge) {
    Facts f;
    if (p.size() < 28) return f;
    const int version = p[0] >> 4;
    std::uint8_t proto;
    if (version == 4) {
      if ((p[0] & 0x0f) != 5) return f;  // IP options: never merged
      if (load_be16(p.data() + 2) != p.size()) return f;
      if ((p[6] & 0x20) || (load_be16(p.data() + 6) & 0x1fff)) return f;  // fragments
      f.ip_len = 20;
      proto = p[9];
    } else if (version == 6) {
      if (p.size() < 48 || std::size_t{load_be16(p.data() + 4)} + 40 != p.size()) return f;
      f.ip_len = 40;
      f.v6 = true;
      proto = p[6];  // an extension header is another value here: not merged
    } else {
      return f;
    }
    if (proto == IPPROTO_TCP && merge.tcp) {
      if (p.size() < f.ip_len + 20) return f;
      f.l4_len = static_cast<std::size_t>(p[f.ip_len + 12] >> 4) * 4;
      if (f.l4_len < 20 || f.ip_len + f.l4_len >= p.size()) return f;  // no payload: no merge
      const std::uint8_t flags = p[f.ip_len + 13];
      if (flags == kAck || flags == (kAck | kPsh)) f.kind = Kind::kTcp;
    } else if (proto == IPPROTO_UDP && (f.v6 ? merge.udp6 : merge.udp4)) {
      f.l4_len = kUdpHeader;
      // The UDP length must cover exactly the rest of the packet; an empty datagram stays alone.
      if (load_be16(p.data() + f.ip_len + 4) == p.size() - f.ip_len && p.size() > f.ip_len + 8)
        f.kind = Kind::kUdp;
    }
    return f;
  }
};

GroCoalescer::GroCoalescer(Merge merge) : merge_(merge) {
  pieces_.reserve(kMaxUdpSegments + 2);
}

std::size_t GroCoalescer::lookback_start() const {
  return items_.size() > kMaxLookback ? items_.size() - kMaxLookback : 0;
}

GroCoalescer::Item& GroCoalescer::start_item(MutableByteSpan packet, const Facts& f) {
  Item& item = items_.emplace_back();
  item.head = packet;
  item.kind = f.kind;
  item.ip_len = f.ip_len;
  item.l4_len = f.l4_len;
  item.v6 = f.v6;
  item.gso_size = static_cast<std::uint16_t>(packet.size() - f.ip_len - f.l4_len);
  item.total = packet.size();
  return item;
}

void GroCoalescer::reset() {
  items_.clear();
  parts_.clear();
}

void GroCoalescer::add(MutableByteSpan packet) {
  const Facts f = Facts::of(packet, merge_);
  switch (f.kind) {
    case Kind::kTcp:
      return add_tcp(packet, f);
    case Kind::kUdp:
      return add_udp(packet, f);
    case Kind::kOther:
      break;
  }
  // A packet that passes through (an empty or fragmented datagram, say) may belong to a flow
  // with an open UDP merge: close those between the same addresses, so nothing that follows
  // can join a merge written ahead of this packet.
  if (packet.size() >= 20 &&
      (packet[0] >> 4 == 4 || (packet[0] >> 4 == 6 && packet.size() >= 40))) {
    const bool v6 = packet[0] >> 4 == 6;
    for (std::size_t i = lookback_start(); i < items_.size(); ++i) {
      Item& item = items_[i];
      if (item.kind == Kind::kUdp && item.v6 == v6 && same_addresses(item.head, packet, v6))
        item.closed = true;
    }
  }
  items_.emplace_back().head = packet;  // kOther: written as it is
}

void GroCoalescer::add_tcp(MutableByteSpan packet, const Facts& f) {
  const std::size_t from = lookback_start();
  for (std::size_t i = items_.size(); i-- > from;)
    if (try_append_tcp(items_[i], packet, f)) return;
  Item& item = start_item(packet, f);
  item.next_seq = load_be32(packet.data() + f.ip_len + 4) + item.gso_size;
  item.closed = (packet[f.ip_len + 13] & kPsh) != 0;
}

void GroCoalescer::add_udp(MutableByteSpan packet, const Facts& f) {
  const std::size_t payload = packet.size() - f.ip_len - kUdpHeader;
  const std::size_t from = lookback_start();
  for (std::size_t i = items_.size(); i-- > from;) {
    Item& item = items_[i];
    if (item.kind != Kind::kUdp || item.v6 != f.v6 || !same_flow(item.head, packet, f.ip_len, f.v6))
      continue;
    // The newest merge of this flow is the only place the datagram may go: joining an older
    // one would deliver it ahead of the datagrams in between.
    if (!item.closed && payload <= item.gso_size && item.parts + 1 < kMaxUdpSegments &&
        item.total + payload <= kMaxTotal && ip_headers_compatible(item.head, packet, f.v6)) {
      append(item, packet.subspan(f.ip_len + kUdpHeader));
      if (payload < item.gso_size) item.closed = true;
      return;
    }
    break;
  }
  start_item(packet, f);
}

bool GroCoalescer::try_append_tcp(Item& item, ByteSpan p, const Facts& f) {
  const std::size_t ip_len = f.ip_len, tcp_len = f.l4_len;
  if (item.kind != Kind::kTcp || item.closed || item.v6 != f.v6 || item.ip_len != ip_len ||
      item.l4_len != tcp_len)
    return false;
  const ByteSpan h = item.head;
  // Same flow: addresses, ports, and the ACK number (different ACKs are different "flows").
  if (!same_flow(h, p, ip_len, f.v6)) return false;
  if (std::memcmp(h.data() + ip_len + 8, p.data() + ip_len + 8, 4) != 0) return false;  // ack
  if (load_be32(p.data() + ip_len + 4) != item.next_seq) return false;
  // Window, urgent pointer and the other header bits (besides PSH), and the options, must
  // match: the cut copies the first segment's header into every segment.
  if (h[ip_len + 12] != p[ip_len + 12] || (h[ip_len + 13] & ~kPsh) != (p[ip_len + 13] & ~kPsh) ||
      std::memcmp(h.data() + ip_len + 14, p.data() + ip_len + 14, 2) != 0 ||
      std::memcmp(h.data() + ip_len + 18, p.data() + ip_len + 18, 2) != 0 ||
      std::memcmp(h.data() + ip_len + 20, p.data() + ip_len + 20, tcp_len - 20) != 0)
    return false;
  if (!ip_headers_compatible(h, p, f.v6)) return false;
  const std::size_t payload = p.size() - ip_len - tcp_len;
  if (payload > item.gso_size || item.total + payload > kMaxTotal) return false;

  append(item, p.subspan(ip_len + tcp_len));
  item.next_seq += static_cast<std::uint32_t>(payload);
  item.psh_last = (p[ip_len + 13] & kPsh) != 0;
  if (item.psh_last || payload < item.gso_size) item.closed = true;
  return true;
}

void GroCoalescer::append(Item& item, ByteSpan payload) {
  parts_.push_back({payload, -1});
  const int index = static_cast<int>(parts_.size() - 1);
  if (item.last_part >= 0)
    parts_[item.last_part].next = index;
  else
    item.first_part = index;
  item.last_part = index;
  ++item.parts;
  item.total += payload.size();
  ++merged_total_;
}

VirtioNetHdr GroCoalescer::finish_merge(const Item& item) {
  std::uint8_t* out = item.head.data();
  const std::size_t len = item.total;
  const std::size_t ip = item.ip_len;
  const bool udp = item.kind == Kind::kUdp;
  if (item.psh_last) out[ip + 13] |= kPsh;  // the last segment's PSH carries over
  const std::size_t alen = item.v6 ? 16 : 4;
  if (item.v6) {
    store_be16(out + 4, static_cast<std::uint16_t>(len - 40));
  } else {
    store_be16(out + 2, static_cast<std::uint16_t>(len));
    out[10] = out[11] = 0;
    store_be16(out + 10, checksum_finish(checksum_add({out, 20})));
  }
  // The UDP length covers the whole super-packet, as in a UDP_SEGMENT send; the kernel
  // rewrites it (and adjusts the checksum) for each datagram it cuts.
  if (udp) store_be16(out + ip + 4, static_cast<std::uint16_t>(len - ip));
  // CHECKSUM_PARTIAL: the field holds the pseudo-header sum (as a NIC's offload expects).
  const std::size_t csum_offset = udp ? 6 : 16;
  const std::uint8_t* src = out + (item.v6 ? 8 : 12);
  store_be16(out + ip + csum_offset,
             checksum_fold(pseudo_header_sum(udp ? IPPROTO_UDP : IPPROTO_TCP, src, src + alen, alen,
                                             len - ip)));
  VirtioNetHdr hdr;
  hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  hdr.gso_type = udp       ? VIRTIO_NET_HDR_GSO_UDP_L4
                 : item.v6 ? VIRTIO_NET_HDR_GSO_TCPV6
                           : VIRTIO_NET_HDR_GSO_TCPV4;
  hdr.hdr_len = static_cast<std::uint16_t>(ip + item.l4_len);
  hdr.gso_size = item.gso_size;
  hdr.csum_start = static_cast<std::uint16_t>(ip);
  hdr.csum_offset = static_cast<std::uint16_t>(csum_offset);
  return hdr;
}

}  // namespace wgd::tunnel
