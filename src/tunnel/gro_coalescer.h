// Merges consecutive packets of one flow into a single "super-packet" for one TUN write, as the
// kernel's GRO does on a real NIC: the local stack then handles one 64 KiB buffer (TCP) or one
// pass through routing and filtering for a run of datagrams (UDP) instead of one per packet,
// and we make one write instead of dozens.
//
// TCP rules (those of the kernel's tcp_gro_receive, as wireguard-go also applies them): same
// addresses, ports and ACK number; flags ACK or ACK|PSH only (PSH ends a merge); identical TCP
// options, window and urgent pointer; compatible IP headers (IPv4 TOS, TTL and DF; IPv6 traffic
// class, flow label and hop limit); contiguous
// sequence numbers; every segment but the last of gso_size bytes; at most 64 KiB in total.
//
// UDP rules (the kernel's udp_gro_receive_segment; needs a TUN that negotiated USO, Linux 6.2+,
// whose writes then accept VIRTIO_NET_HDR_GSO_UDP_L4): same addresses and ports, compatible IP
// headers, every datagram but the last of gso_size payload bytes (a shorter one ends the merge),
// at most kMaxUdpSegments datagrams and 64 KiB. A datagram only ever joins the newest merge of
// its flow, so datagrams keep their order (UDP has no sequence numbers to restore it with). The
// kernel cuts the super-packet back into the original datagrams before any socket sees them
// (or hands it whole to a socket that asked for UDP_GRO).
//
// Checksums are not verified again: every packet here was authenticated by its Poly1305 tag,
// which proves it arrived exactly as the peer sent it. The kernel's WireGuard marks decrypted
// packets CHECKSUM_UNNECESSARY for that reason; we do the same through the virtio header
// (DATA_VALID for single packets; merged ones are CHECKSUM_PARTIAL, which the stack completes).
//
// Nothing is copied: a merged packet is the first packet (its headers rewritten in place) plus
// the payloads of the others, handed to writev as a list of pieces.
#pragma once

#include <cstdint>
#include <vector>

#include "tunnel/virtio_net_hdr.h"
#include "util/bytes.h"

namespace wgd::tunnel {

// What a GroCoalescer may merge. Without virtio headers nothing may (a TUN without them takes
// one IP packet per write); UDP needs the TUN's USO offload for the family.
struct GroMerge {
  bool tcp = true;
  bool udp4 = true;
  bool udp6 = true;
};

class GroCoalescer {
 public:
  using Merge = GroMerge;
  static constexpr Merge kNothing{false, false, false};
  // Datagrams per UDP merge: UDP_MAX_SEGMENTS as Linux introduced it (a later kernel allows
  // more; 64 datagrams of 1,400 bytes already reach the 64 KiB limit).
  static constexpr std::size_t kMaxUdpSegments = 64;

  explicit GroCoalescer(Merge merge = {});

  // Forgets everything added so far.
  void reset();
  // Adds the next packet; `packet` must stay valid (and writable: a merge rewrites the first
  // packet's headers) until the next flush()/reset().
  void add(MutableByteSpan packet);
  // Hands every resulting packet to `write(pieces)` in order: pieces[0] is the 10-byte virtio
  // header, the rest concatenated are the packet. Then resets.
  template <class Write>
  void flush(Write&& write);

  std::size_t merged_packets() const { return merged_total_; }  // for statistics/tests

 private:
  enum class Kind : std::uint8_t { kOther, kTcp, kUdp };
  struct Item {
    MutableByteSpan head;      // the first packet
    Kind kind = Kind::kOther;  // kOther: passed through unchanged
    std::size_t ip_len = 0;
    std::size_t l4_len = 0;  // TCP header with options, or the 8-byte UDP header
    bool v6 = false;
    bool closed = false;         // PSH seen, or a short segment: nothing may follow
    std::uint32_t next_seq = 0;  // TCP only
    std::uint16_t gso_size = 0;
    std::size_t total = 0;                // head + appended payload bytes
    int first_part = -1, last_part = -1;  // appended payloads (linked list in parts_)
    std::size_t parts = 0;
    bool psh_last = false;  // the last appended segment carried PSH
  };
  struct Part {
    ByteSpan payload;
    int next = -1;
  };
  struct Facts;

  // Where the search for a merge to join starts: the last kMaxLookback items.
  std::size_t lookback_start() const;
  // A new item headed by `packet` (of f.kind), appended to items_.
  Item& start_item(MutableByteSpan packet, const Facts& f);
  void add_tcp(MutableByteSpan packet, const Facts& f);
  void add_udp(MutableByteSpan packet, const Facts& f);
  bool try_append_tcp(Item& item, ByteSpan packet, const Facts& f);
  void append(Item& item, ByteSpan payload);
  // Rewrites a merged item's first packet for its new length and returns its virtio header.
  VirtioNetHdr finish_merge(const Item& item);

  std::vector<Item> items_;
  std::vector<Part> parts_;
  std::vector<ByteSpan> pieces_;
  std::size_t merged_total_ = 0;
  Merge merge_;
};

template <class Write>
void GroCoalescer::flush(Write&& write) {
  std::uint8_t header[kVirtioNetHdrSize];
  for (const Item& item : items_) {
    VirtioNetHdr hdr;
    hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID;  // authenticated: see the comment at the top
    if (item.first_part >= 0) hdr = finish_merge(item);
    hdr.encode(header);
    pieces_.clear();
    pieces_.push_back(ByteSpan(header, kVirtioNetHdrSize));
    pieces_.push_back(item.head);
    for (int i = item.first_part; i >= 0; i = parts_[i].next) pieces_.push_back(parts_[i].payload);
    write(std::span<const ByteSpan>(pieces_));
  }
  reset();
}

}  // namespace wgd::tunnel
