// GroCoalescer, which reads packets a peer chose (after decryption) and rewrites headers in
// place: whatever the packets, what it writes is, once the kernel has cut the super-packets
// (gso_split does the same cut), exactly the packets it was given, each once; the datagrams of
// a UDP flow keep their order; a merge is only ever of packets of one flow and of one kind.
// Fields a merge and its cut legitimately rewrite are compared blanked: the IPv4 ID and header
// checksum, the TCP/UDP checksum (the input's may be anything; the cut computes a right one),
// and TCP's PSH flag (it moves to the last segment).
#include <algorithm>
#include <map>
#include <tuple>

#include "fuzz_check.h"
#include "gro_program.h"
#include "tunnel/gro_coalescer.h"
#include "tunnel/gso_split.h"

namespace {

using namespace wgd;
using namespace wgd::tunnel;

struct Shape {
  int version = 0, proto = -1;
  std::size_t ip = 0;
};

// How a packet looks at first sight (the same bytes always look the same).
Shape shape_of(const Bytes& p) {
  Shape s;
  if (p.size() >= 20 && p[0] >> 4 == 4 && (p[0] & 15) == 5)
    s = {4, p[9], 20};
  else if (p.size() >= 40 && p[0] >> 4 == 6)
    s = {6, p[6], 40};
  return s;
}

Bytes normalized(Bytes p) {
  const Shape s = shape_of(p);
  if (s.version == 4) p[4] = p[5] = p[10] = p[11] = 0;
  if (s.proto == 6 && p.size() >= s.ip + 20) {
    p[s.ip + 16] = p[s.ip + 17] = 0;
    p[s.ip + 13] &= static_cast<std::uint8_t>(~0x08);
  }
  if (s.proto == 17 && p.size() >= s.ip + 8) p[s.ip + 6] = p[s.ip + 7] = 0;
  return p;
}

// Addresses and ports of a UDP packet, or nothing.
std::optional<Bytes> udp_flow(const Bytes& p) {
  const Shape s = shape_of(p);
  if (s.proto != 17 || p.size() < s.ip + 8) return std::nullopt;
  Bytes key(p.begin() + (s.version == 4 ? 12 : 8), p.begin() + static_cast<std::ptrdiff_t>(s.ip));
  key.insert(key.end(), p.begin() + static_cast<std::ptrdiff_t>(s.ip),
             p.begin() + static_cast<std::ptrdiff_t>(s.ip + 4));
  key.push_back(static_cast<std::uint8_t>(s.version));
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::GroProgram prog = fuzz::gro_read_program({data, size});
  std::vector<Bytes> work = prog.packets;  // the coalescer rewrites first packets in place
  GroCoalescer c(GroMerge{prog.tcp, prog.udp4, prog.udp6});
  for (Bytes& p : work) c.add(p);

  std::vector<Bytes> delivered;
  c.flush([&](std::span<const ByteSpan> pieces) {
    FUZZ_CHECK(pieces.size() >= 2 && pieces[0].size() == kVirtioNetHdrSize);
    const VirtioNetHdr hdr = VirtioNetHdr::decode(pieces[0].data());
    Bytes packet;
    for (std::size_t i = 1; i < pieces.size(); ++i)
      packet.insert(packet.end(), pieces[i].begin(), pieces[i].end());
    FUZZ_CHECK(packet.size() <= 65535);
    if (hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
      FUZZ_CHECK(hdr.flags == VIRTIO_NET_HDR_F_DATA_VALID && pieces.size() == 2);
      delivered.push_back(std::move(packet));
      return;
    }
    const Shape s = shape_of(packet);
    FUZZ_CHECK(hdr.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4
                   ? s.proto == 17 && (s.version == 4 ? prog.udp4 : prog.udp6)
                   : s.proto == 6 && prog.tcp);
    const std::size_t bound = gso_segment_count(hdr, packet.size());  // an upper bound
    FUZZ_CHECK(bound >= pieces.size() - 1);
    std::vector<Bytes> store(bound, Bytes(std::size_t{hdr.hdr_len} + hdr.gso_size));
    std::vector<std::uint8_t*> outs;
    for (Bytes& b : store) outs.push_back(b.data());
    std::vector<std::size_t> sizes(bound);
    auto n = gso_split(hdr, packet, outs, sizes, std::size_t{hdr.hdr_len} + hdr.gso_size);
    // One segment per packet merged: the head and each appended payload.
    const std::size_t count = pieces.size() - 1;
    FUZZ_CHECK(n.has_value() && *n == count && count >= 2);
    if (hdr.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4)
      FUZZ_CHECK(count <= GroCoalescer::kMaxUdpSegments);
    for (std::size_t i = 0; i < count; ++i) {
      store[i].resize(sizes[i]);
      delivered.push_back(std::move(store[i]));
    }
  });

  // The same packets, each once.
  std::vector<Bytes> want, got;
  for (const Bytes& p : prog.packets) want.push_back(normalized(p));
  for (const Bytes& p : delivered) got.push_back(normalized(p));
  FUZZ_CHECK(want.size() == got.size());
  std::vector<Bytes> want_sorted = want, got_sorted = got;
  std::sort(want_sorted.begin(), want_sorted.end());
  std::sort(got_sorted.begin(), got_sorted.end());
  FUZZ_CHECK(want_sorted == got_sorted);

  // Each UDP flow in its order.
  std::map<Bytes, std::vector<Bytes>> want_flows, got_flows;
  for (const Bytes& p : want)
    if (auto f = udp_flow(p)) want_flows[*f].push_back(p);
  for (const Bytes& p : got)
    if (auto f = udp_flow(p)) got_flows[*f].push_back(p);
  FUZZ_CHECK(want_flows == got_flows);
  return 0;
}
