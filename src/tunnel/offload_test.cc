// Checksums, GSO splitting and TCP coalescing against straightforward references.
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <random>

#include "tunnel/checksum.h"
#include "tunnel/gso_split.h"
#include "tunnel/gro_coalescer.h"

namespace wgd::tunnel {
namespace {

// RFC 1071 the slow way: big-endian 16-bit words, end-around carry after every addition.
std::uint16_t naive_fold(ByteSpan data, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i < data.size(); i += 2) {
    std::uint32_t w = std::uint32_t{data[i]} << 8;
    if (i + 1 < data.size()) w |= data[i + 1];
    sum += w;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(sum);
}

bool l4_checksum_valid(ByteSpan p, std::size_t ip_len, std::uint8_t proto, bool v6) {
  const std::size_t alen = v6 ? 16 : 4;
  Bytes pseudo(2 * alen + 4, 0);
  std::memcpy(pseudo.data(), p.data() + (v6 ? 8 : 12), 2 * alen);
  pseudo[2 * alen + 1] = proto;
  store_be16(pseudo.data() + 2 * alen + 2, static_cast<std::uint16_t>(p.size() - ip_len));
  return naive_fold(p.subspan(ip_len), naive_fold(pseudo)) == 0xffff;
}

TEST(Checksum, AgreesWithTheNaiveAlgorithm) {
  std::mt19937 gen(7);
  for (int round = 0; round < 2000; ++round) {
    Bytes data(gen() % 3000);
    for (auto& b : data) b = static_cast<std::uint8_t>(gen());
    const std::uint16_t initial = static_cast<std::uint16_t>(gen());
    EXPECT_EQ(checksum_fold(checksum_add(data, initial)), naive_fold(data, initial))
        << "length " << data.size();
  }
}

// A TCP (or UDP) super-packet as a TUN with TSO hands it over: IP header, transport header with
// options, `payload` bytes, the transport checksum field holding the pseudo-header sum.
struct SuperPacket {
  Bytes bytes;
  VirtioNetHdr hdr;
};

SuperPacket make_super(bool v6, std::uint8_t proto, std::size_t payload, std::uint16_t mss,
                       std::uint8_t tcp_flags = 0x18, std::uint32_t seq = 0xfffff000) {
  const std::size_t ip = v6 ? 40 : 20;
  const std::size_t l4 = proto == IPPROTO_TCP ? 32 : 8;  // TCP with 12 bytes of options
  Bytes p(ip + l4 + payload);
  for (std::size_t i = 0; i < payload; ++i) p[ip + l4 + i] = static_cast<std::uint8_t>(i * 31 + 7);
  if (v6) {
    p[0] = 0x60;
    store_be16(p.data() + 4, static_cast<std::uint16_t>(l4 + payload));
    p[6] = proto;
    p[7] = 64;
    for (int i = 0; i < 16; ++i) p[8 + i] = static_cast<std::uint8_t>(0xfd - i), p[24 + i] = static_cast<std::uint8_t>(i);
  } else {
    p[0] = 0x45;
    store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
    store_be16(p.data() + 4, 0x1234);
    p[6] = 0x40;  // DF
    p[8] = 64;
    p[9] = proto;
    const std::uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    std::memcpy(p.data() + 12, src, 4);
    std::memcpy(p.data() + 16, dst, 4);
    store_be16(p.data() + 10, checksum_finish(checksum_add({p.data(), 20})));  // as the kernel's
  }
  store_be16(p.data() + ip, 40000);
  store_be16(p.data() + ip + 2, 5201);
  std::size_t csum_offset;
  if (proto == IPPROTO_TCP) {
    store_be32(p.data() + ip + 4, seq);  // the default wraps around during the split
    store_be32(p.data() + ip + 8, 777);
    p[ip + 12] = 8 << 4;
    p[ip + 13] = tcp_flags;
    store_be16(p.data() + ip + 14, 512);
    const std::uint8_t opts[12] = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 3};  // NOP NOP timestamps
    std::memcpy(p.data() + ip + 20, opts, 12);
    csum_offset = 16;
  } else {
    store_be16(p.data() + ip + 4, static_cast<std::uint16_t>(8 + payload));
    csum_offset = 6;
  }
  const std::size_t alen = v6 ? 16 : 4;
  const std::uint8_t* src = p.data() + (v6 ? 8 : 12);
  store_be16(p.data() + ip + csum_offset,
             checksum_fold(pseudo_header_sum(proto, src, src + alen, alen, p.size() - ip)));
  VirtioNetHdr h;
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.gso_type = proto == IPPROTO_UDP ? VIRTIO_NET_HDR_GSO_UDP_L4
               : v6                ? VIRTIO_NET_HDR_GSO_TCPV6
                                   : VIRTIO_NET_HDR_GSO_TCPV4;
  h.gso_size = mss;
  h.hdr_len = static_cast<std::uint16_t>(ip + l4);
  h.csum_start = static_cast<std::uint16_t>(ip);
  h.csum_offset = static_cast<std::uint16_t>(csum_offset);
  return {std::move(p), h};
}

struct Segments {
  std::vector<Bytes> storage;
  std::vector<std::uint8_t*> outs;
  std::vector<std::size_t> sizes;
  explicit Segments(std::size_t n, std::size_t cap = 2048) : storage(n, Bytes(cap)), sizes(n) {
    for (auto& s : storage) outs.push_back(s.data());
  }
  ByteSpan at(std::size_t i) const { return {storage[i].data(), sizes[i]}; }
};

class Split : public ::testing::TestWithParam<std::tuple<bool, std::uint8_t>> {};

TEST_P(Split, SegmentsAreCompleteValidPackets) {
  const auto [v6, proto] = GetParam();
  const std::size_t payload = 10000, mss = 1380;
  SuperPacket sp = make_super(v6, proto, payload, mss);
  const Bytes original = sp.bytes;
  Segments seg(16);
  ASSERT_EQ(gso_segment_count(sp.hdr, sp.bytes.size()), 8u);
  auto n = gso_split(sp.hdr, sp.bytes, seg.outs, seg.sizes, 2048);
  ASSERT_TRUE(n) << n.error().message;
  ASSERT_EQ(*n, 8u);  // 7 full segments and one of 340 bytes
  const std::size_t ip = v6 ? 40 : 20, l4 = proto == IPPROTO_TCP ? 32 : 8;
  std::size_t carried = 0;
  for (std::size_t i = 0; i < *n; ++i) {
    const ByteSpan s = seg.at(i);
    const std::size_t seg_payload = std::min(mss, payload - i * mss);
    ASSERT_EQ(s.size(), ip + l4 + seg_payload);
    EXPECT_EQ(0, std::memcmp(s.data() + ip + l4, original.data() + ip + l4 + i * mss, seg_payload));
    carried += seg_payload;
    if (v6) {
      EXPECT_EQ(load_be16(s.data() + 4), l4 + seg_payload);
    } else {
      EXPECT_EQ(load_be16(s.data() + 2), s.size());
      EXPECT_EQ(load_be16(s.data() + 4), 0x1234 + i);
      EXPECT_EQ(naive_fold(s.first(20)), 0xffff) << "IPv4 header checksum of segment " << i;
    }
    EXPECT_TRUE(l4_checksum_valid(s, ip, proto, v6)) << "segment " << i;
    if (proto == IPPROTO_TCP) {
      EXPECT_EQ(load_be32(s.data() + ip + 4), 0xfffff000u + static_cast<std::uint32_t>(i * mss));
      EXPECT_EQ((s[ip + 13] & 0x08) != 0, i == *n - 1) << "PSH only on the last segment";
      EXPECT_EQ(0, std::memcmp(s.data() + ip + 20, original.data() + ip + 20, 12));  // options
    } else {
      EXPECT_EQ(load_be16(s.data() + ip + 4), 8 + seg_payload);
    }
  }
  EXPECT_EQ(carried, payload);
}

INSTANTIATE_TEST_SUITE_P(Kinds, Split,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(std::uint8_t{IPPROTO_TCP},
                                                              std::uint8_t{IPPROTO_UDP})));

TEST(GsoSplit, NoGsoCompletesAPartialChecksum) {
  SuperPacket sp = make_super(false, IPPROTO_TCP, 500, 1380);
  sp.hdr.gso_type = VIRTIO_NET_HDR_GSO_NONE;
  Segments seg(1);
  auto n = gso_split(sp.hdr, sp.bytes, seg.outs, seg.sizes, 2048);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 1u);
  EXPECT_TRUE(l4_checksum_valid(seg.at(0), 20, IPPROTO_TCP, false));
}

TEST(GsoSplit, MalformedHeadersAreRefused) {
  Segments seg(64);
  SuperPacket sp = make_super(false, IPPROTO_TCP, 3000, 1000);
  VirtioNetHdr bad = sp.hdr;
  bad.csum_start = 5000;
  EXPECT_FALSE(gso_split(bad, sp.bytes, seg.outs, seg.sizes, 2048));
  bad = sp.hdr;
  bad.csum_offset = 6;  // not the TCP checksum
  EXPECT_FALSE(gso_split(bad, sp.bytes, seg.outs, seg.sizes, 2048));
  bad = sp.hdr;
  bad.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;  // on an IPv4 packet
  EXPECT_FALSE(gso_split(bad, sp.bytes, seg.outs, seg.sizes, 2048));
  bad = sp.hdr;
  bad.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
  EXPECT_FALSE(gso_split(bad, sp.bytes, seg.outs, seg.sizes, 2048));
  bad = sp.hdr;
  bad.gso_size = 0;
  EXPECT_FALSE(gso_split(bad, sp.bytes, seg.outs, seg.sizes, 2048));
  // More segments than outputs, and segments larger than the outputs.
  EXPECT_FALSE(gso_split(sp.hdr, sp.bytes, std::span(seg.outs).first(2), seg.sizes, 2048));
  EXPECT_FALSE(gso_split(sp.hdr, sp.bytes, seg.outs, seg.sizes, 500));
}

// What the coalescer emits, collected.
struct Written {
  VirtioNetHdr hdr;
  Bytes packet;
};

// The coalescer rewrites first segments in place, so it works on copies here.
std::vector<Written> coalesce(const std::vector<ByteSpan>& packets, GroMerge merge = {}) {
  std::vector<Bytes> copies;
  for (ByteSpan p : packets) copies.emplace_back(p.begin(), p.end());
  GroCoalescer c(merge);
  for (Bytes& p : copies) c.add(p);
  std::vector<Written> out;
  c.flush([&](std::span<const ByteSpan> pieces) {
    Written w{VirtioNetHdr::decode(pieces[0].data()), {}};
    for (std::size_t i = 1; i < pieces.size(); ++i)
      w.packet.insert(w.packet.end(), pieces[i].begin(), pieces[i].end());
    out.push_back(std::move(w));
  });
  return out;
}

class Coalesce : public ::testing::TestWithParam<bool> {};

TEST_P(Coalesce, SplitThenCoalesceGivesBackTheSuperPacket) {
  const bool v6 = GetParam();
  SuperPacket sp = make_super(v6, IPPROTO_TCP, 20000, 1380);
  const Bytes original = sp.bytes;
  Segments seg(32);
  auto n = gso_split(sp.hdr, sp.bytes, seg.outs, seg.sizes, 2048);
  ASSERT_TRUE(n);
  std::vector<ByteSpan> in;
  for (std::size_t i = 0; i < *n; ++i) in.push_back(seg.at(i));
  auto out = coalesce(in);
  ASSERT_EQ(out.size(), 1u);
  const Written& w = out[0];
  EXPECT_EQ(w.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
  EXPECT_EQ(w.hdr.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
  EXPECT_EQ(w.hdr.gso_size, 1380);
  EXPECT_EQ(w.hdr.csum_start, v6 ? 40 : 20);
  EXPECT_EQ(w.hdr.csum_offset, 16);
  EXPECT_EQ(w.hdr.hdr_len, (v6 ? 40 : 20) + 32);
  // Byte for byte the original, whose checksum field also held the pseudo-header sum.
  ASSERT_EQ(w.packet.size(), original.size());
  EXPECT_EQ(w.packet, original);
  // Splitting the merged packet again gives the same segments.
  Segments again(32);
  Bytes merged = w.packet;
  auto m = gso_split(w.hdr, merged, again.outs, again.sizes, 2048);
  ASSERT_TRUE(m);
  ASSERT_EQ(*m, *n);
  for (std::size_t i = 0; i < *n; ++i) {
    Bytes a(seg.at(i).begin(), seg.at(i).end()), b(again.at(i).begin(), again.at(i).end());
    if (!v6) a[4] = b[4] = a[5] = b[5] = a[10] = b[10] = a[11] = b[11] = 0;  // IPv4 ID, csum
    EXPECT_EQ(a, b) << "segment " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, Coalesce, ::testing::Bool());

std::vector<Bytes> segments_of(bool v6, std::size_t payload, std::uint16_t mss,
                               std::uint8_t flags = 0x18, std::uint32_t seq = 0xfffff000) {
  SuperPacket sp = make_super(v6, IPPROTO_TCP, payload, mss, flags, seq);
  Segments seg(64);
  auto n = gso_split(sp.hdr, sp.bytes, seg.outs, seg.sizes, 2048);
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < *n; ++i) out.emplace_back(seg.at(i).begin(), seg.at(i).end());
  return out;
}

std::vector<ByteSpan> spans(const std::vector<Bytes>& v) { return {v.begin(), v.end()}; }

// A TUN without virtio headers takes one IP packet per write: nothing may be merged, and
// every packet comes out unchanged (a merged head written alone would lose the rest).
TEST(CoalesceRules, WithoutMergingEveryPacketPassesThroughUnchanged) {
  auto s = segments_of(false, 5000, 1000);
  ASSERT_EQ(s.size(), 5u);
  std::vector<Bytes> copies = s;
  GroCoalescer c(GroCoalescer::kNothing);
  for (Bytes& p : copies) c.add(p);
  std::vector<Bytes> out;
  c.flush([&](std::span<const ByteSpan> pieces) {
    ASSERT_EQ(pieces.size(), 2u);  // the virtio header and the packet
    out.emplace_back(pieces[1].begin(), pieces[1].end());
  });
  EXPECT_EQ(out, s);
  EXPECT_EQ(c.merged_packets(), 0u);
}

TEST(CoalesceRules, OnlyWhatTheKernelWouldMerge) {
  auto s = segments_of(false, 5000, 1000);  // 5 segments
  ASSERT_EQ(s.size(), 5u);
  // Out of order 0,2,1,3,4: 1 still joins 0 (the order within the flow is restored), 3 and 4
  // join 2: [0,1] [2,3,4].
  auto out = coalesce({s[0], s[2], s[1], s[3], s[4]});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].packet.size(), 20u + 32 + 2000);
  EXPECT_EQ(out[1].packet.size(), 20u + 32 + 3000);
  // Packets that stay single are handed over unchanged and marked as checked (DATA_VALID):
  // their Poly1305 tag vouched for them, as the kernel's CHECKSUM_UNNECESSARY does.
  out = coalesce({s[0], s[2]});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].hdr.gso_type, VIRTIO_NET_HDR_GSO_NONE);
  EXPECT_EQ(out[1].hdr.flags, VIRTIO_NET_HDR_F_DATA_VALID);
  EXPECT_EQ(out[1].packet, s[2]);
  // A different ACK number or window, or different options, is a different "flow".
  auto other = s;
  store_be32(other[1].data() + 28, 778);
  EXPECT_EQ(coalesce(spans(other)).size(), 3u);  // [0] [1] [2,3,4]
  other = s;
  store_be16(other[1].data() + 34, 1024);
  EXPECT_GE(coalesce(spans(other)).size(), 2u);
  // SYN/FIN/RST segments are never merged.
  auto fin = segments_of(false, 2000, 1000, 0x11);  // ACK|FIN: only on the last by the split
  EXPECT_EQ(coalesce(spans(fin)).size(), 2u);
  // PSH in the middle ends the merge there.
  auto psh = s;
  psh[1][33] |= 0x08;
  psh[1][36] = psh[1][37] = 0;  // recompute the checksum after the flag change
  {
    const std::uint8_t* src = psh[1].data() + 12;
    store_be16(psh[1].data() + 36,
               checksum_finish(checksum_add(ByteSpan(psh[1]).subspan(20),
                                            pseudo_header_sum(IPPROTO_TCP, src, src + 4, 4, psh[1].size() - 20))));
  }
  out = coalesce(spans(psh));
  ASSERT_EQ(out.size(), 2u);  // [0,1(PSH)] [2,3,4]
  EXPECT_NE(out[0].packet[33] & 0x08, 0);
  // Two flows interleaved still merge per flow, and other protocols pass through in order.
  auto a = segments_of(false, 3000, 1000), b = segments_of(true, 3000, 1000);
  Bytes udp = make_super(false, IPPROTO_UDP, 100, 1000).bytes;
  out = coalesce({a[0], b[0], a[1], udp, b[1], a[2], b[2]});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].packet.size(), 20u + 32 + 3000);
  EXPECT_EQ(out[1].packet.size(), 40u + 32 + 3000);
  EXPECT_EQ(out[2].packet, udp);
}

TEST(CoalesceRules, NeverPastSixtyFourKilobytes) {
  // Two back-to-back super-packets of one flow, 35 full segments each (a short segment would
  // end a merge by itself): 98,000 contiguous payload bytes cannot go into one packet.
  auto s = segments_of(false, 49000, 1400, 0x10, 1000);
  auto t = segments_of(false, 49000, 1400, 0x10, 50000);
  s.insert(s.end(), t.begin(), t.end());
  auto out = coalesce(spans(s));
  ASSERT_GE(out.size(), 2u);
  std::size_t payload = 0;
  for (const auto& w : out) {
    EXPECT_LE(w.packet.size(), 65535u);
    payload += w.packet.size() - 52;
  }
  EXPECT_EQ(payload, 98000u);
  EXPECT_EQ(out[0].packet.size(), 52u + 46 * 1400);  // filled up to the limit, not cut early
}

// --- UDP ---------------------------------------------------------------------------------

// `count` datagrams of `size` payload bytes (the last one `last` bytes, if given) of one flow,
// each a complete packet with a valid checksum, as the peer's stack sent them. `port` tells
// flows apart; `fill` makes payloads distinct.
std::vector<Bytes> udp_datagrams(bool v6, std::size_t count, std::uint16_t size,
                                 std::size_t last = 0, std::uint16_t port = 40000,
                                 std::uint8_t fill = 1) {
  const std::size_t total = (count - 1) * size + (last ? last : size);
  SuperPacket sp = make_super(v6, IPPROTO_UDP, total, size);
  const std::size_t ip = v6 ? 40 : 20;
  for (std::size_t i = ip + 8; i < sp.bytes.size(); ++i)
    sp.bytes[i] = static_cast<std::uint8_t>(sp.bytes[i] + fill);
  store_be16(sp.bytes.data() + ip, port);
  Segments seg(count + 1);
  auto n = gso_split(sp.hdr, sp.bytes, seg.outs, seg.sizes, 2048);
  EXPECT_TRUE(n);
  EXPECT_EQ(n.value_or(0), count);
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < n.value_or(0); ++i) {
    out.emplace_back(seg.at(i).begin(), seg.at(i).end());
    EXPECT_TRUE(l4_checksum_valid(out.back(), ip, IPPROTO_UDP, v6)) << "datagram " << i;
  }
  return out;
}

// What the kernel makes of a written packet: a super-packet cut by its header (gso_split does
// what the kernel's UDP segmentation does), a single packet as it is.
std::vector<Bytes> as_delivered(const Written& w) {
  if (w.hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE) return {w.packet};
  Bytes copy = w.packet;
  Segments seg(80);
  auto n = gso_split(w.hdr, copy, seg.outs, seg.sizes, 2048);
  EXPECT_TRUE(n) << (n ? "" : n.error().message);
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < n.value_or(0); ++i) out.emplace_back(seg.at(i).begin(), seg.at(i).end());
  return out;
}

// Every datagram comes out once, unchanged but for the IPv4 ID (and so the header checksum) the
// cut assigns, in the order it went in.
void expect_same_datagrams(const std::vector<Written>& written, const std::vector<Bytes>& sent,
                           bool v6) {
  std::vector<Bytes> got;
  for (const Written& w : written)
    for (Bytes& d : as_delivered(w)) got.push_back(std::move(d));
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    Bytes a = got[i], b = sent[i];
    if (!v6) a[4] = b[4] = a[5] = b[5] = a[10] = b[10] = a[11] = b[11] = 0;
    EXPECT_EQ(a, b) << "datagram " << i;
    EXPECT_TRUE(l4_checksum_valid(got[i], v6 ? 40 : 20, IPPROTO_UDP, v6)) << "datagram " << i;
  }
}

class CoalesceUdp : public ::testing::TestWithParam<bool> {};

TEST_P(CoalesceUdp, ARunOfDatagramsBecomesOneUdpSuperPacket) {
  const bool v6 = GetParam();
  const std::size_t ip = v6 ? 40 : 20;
  auto d = udp_datagrams(v6, 15, 1372, 792);
  auto out = coalesce(spans(d));
  ASSERT_EQ(out.size(), 1u);
  const Written& w = out[0];
  EXPECT_EQ(w.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
  EXPECT_EQ(w.hdr.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
  EXPECT_EQ(w.hdr.gso_size, 1372);
  EXPECT_EQ(w.hdr.hdr_len, ip + 8);
  EXPECT_EQ(w.hdr.csum_start, ip);
  EXPECT_EQ(w.hdr.csum_offset, 6);
  ASSERT_EQ(w.packet.size(), ip + 8 + 14 * 1372 + 792);
  // Lengths of the whole: IP, UDP; the UDP checksum field holds the pseudo-header sum.
  EXPECT_EQ(load_be16(w.packet.data() + ip + 4), w.packet.size() - ip);
  if (v6) {
    EXPECT_EQ(load_be16(w.packet.data() + 4), w.packet.size() - 40);
  } else {
    EXPECT_EQ(load_be16(w.packet.data() + 2), w.packet.size());
    EXPECT_EQ(naive_fold({w.packet.data(), 20}), 0xffff) << "IPv4 header checksum";
  }
  const std::uint8_t* src = w.packet.data() + (v6 ? 8 : 12);
  const std::size_t alen = v6 ? 16 : 4;
  EXPECT_EQ(load_be16(w.packet.data() + ip + 6),
            checksum_fold(pseudo_header_sum(IPPROTO_UDP, src, src + alen, alen,
                                            w.packet.size() - ip)));
  expect_same_datagrams(out, d, v6);
}

INSTANTIATE_TEST_SUITE_P(Families, CoalesceUdp, ::testing::Bool());

TEST(CoalesceUdpRules, OrderIsKeptAndOnlyEqualSizesJoin) {
  // A shorter datagram ends a merge; what follows starts a new one.
  auto a = udp_datagrams(false, 3, 100, 50);
  auto b = udp_datagrams(false, 2, 100, 0, 40000, 9);
  std::vector<Bytes> in = {a[0], a[1], a[2], b[0], b[1]};
  auto out = coalesce(spans(in));
  ASSERT_EQ(out.size(), 2u);
  expect_same_datagrams(out, in, false);
  // A larger datagram cannot join (every one but the last has gso_size bytes) and starts a
  // merge of its own; a datagram after it joins that newest merge, never the older one ahead
  // of it, which would reorder the flow.
  auto big = udp_datagrams(false, 1, 200);
  in = {a[0], a[1], big[0], b[0], b[1]};
  out = coalesce(spans(in));
  ASSERT_EQ(out.size(), 3u);  // [a0 a1] [big b0(closes: shorter)] [b1]
  expect_same_datagrams(out, in, false);
  // Interleaved flows (other ports, other family) merge per flow.
  auto c = udp_datagrams(false, 3, 100, 0, 40001, 5);
  auto d6 = udp_datagrams(true, 3, 100, 0, 40000, 7);
  out = coalesce({a[0], c[0], d6[0], a[1], c[1], d6[1], c[2], d6[2]});
  ASSERT_EQ(out.size(), 3u);
  expect_same_datagrams({out[0]}, {a[0], a[1]}, false);
  expect_same_datagrams({out[1]}, {c[0], c[1], c[2]}, false);
  expect_same_datagrams({out[2]}, {d6[0], d6[1], d6[2]}, true);
}

TEST(CoalesceUdpRules, APacketPassingThroughClosesTheMergesOfItsAddresses) {
  auto a = udp_datagrams(false, 4, 100);
  // An empty datagram of the same flow is not merged; the datagram after it must not join the
  // merge written before it.
  Bytes empty = udp_datagrams(false, 1, 100)[0];
  empty.resize(28);
  store_be16(empty.data() + 2, 28);
  store_be16(empty.data() + 24, 8);
  empty[26] = empty[27] = 0;
  store_be16(empty.data() + 26,
             checksum_finish(checksum_add(ByteSpan(empty).subspan(20),
                                          pseudo_header_sum(IPPROTO_UDP, empty.data() + 12,
                                                            empty.data() + 16, 4, 8))));
  std::vector<Bytes> in = {a[0], a[1], empty, a[2], a[3]};
  auto out = coalesce(spans(in));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].packet, empty);
  expect_same_datagrams(out, in, false);
}

TEST(CoalesceUdpRules, AtMostSixtyFourDatagramsAndSixtyFourKilobytes) {
  auto small = udp_datagrams(true, 100, 64);
  auto out = coalesce(spans(small));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].packet.size(), 40u + 8 + GroCoalescer::kMaxUdpSegments * 64);
  expect_same_datagrams(out, small, true);
  auto large = udp_datagrams(false, 30, 1400);
  auto more = udp_datagrams(false, 30, 1400, 0, 40000, 3);
  large.insert(large.end(), more.begin(), more.end());
  out = coalesce(spans(large));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].packet.size(), 28u + 46 * 1400);  // 47 would pass 65,535 bytes
  expect_same_datagrams(out, large, false);
}

TEST(CoalesceUdpRules, OnlyForTheFamiliesTheTunTookUsoFor) {
  auto v4 = udp_datagrams(false, 3, 100), v6 = udp_datagrams(true, 3, 100);
  auto out = coalesce({v4[0], v6[0], v4[1], v6[1], v4[2], v6[2]}, GroMerge{true, false, true});
  ASSERT_EQ(out.size(), 4u);  // v4 ones alone, the v6 ones merged after the first v4
  EXPECT_EQ(out[0].packet, v4[0]);
  EXPECT_EQ(out[1].hdr.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
  EXPECT_EQ(out[2].packet, v4[1]);
  EXPECT_EQ(out[3].packet, v4[2]);
  expect_same_datagrams({out[1]}, v6, true);
}

}  // namespace
}  // namespace wgd::tunnel
