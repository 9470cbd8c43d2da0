// Merges consecutive in-order TCP segments of one flow into a single "super-packet" for one TUN
// write, as the kernel's GRO does on a real NIC: the local TCP stack then handles one 64 KiB
// buffer instead of forty-odd 1.4 KiB ones, which is most of the receive cost.
//
// Rules (those of the kernel's tcp_gro_receive, as wireguard-go also applies them): same
// addresses, ports and ACK number; flags ACK or ACK|PSH only (PSH ends a merge); identical TCP
// options and window; compatible IP headers (TOS/traffic class, TTL/hop limit, DF); contiguous
// sequence numbers; every segment but the last of gso_size bytes; at most 64 KiB in total.
//
// Checksums are not verified again: every packet here was authenticated by its Poly1305 tag,
// which proves it arrived exactly as the peer sent it. The kernel's WireGuard marks decrypted
// packets CHECKSUM_UNNECESSARY for that reason; we do the same through the virtio header
// (DATA_VALID for single packets; merged ones are CHECKSUM_PARTIAL, which the stack trusts).
//
// Nothing is copied: a merged packet is the first segment (its headers rewritten in place) plus
// the payloads of the others, handed to writev as a list of pieces.
#pragma once

#include <cstdint>
#include <vector>

#include "tunnel/virtio_net_hdr.h"
#include "util/bytes.h"

namespace wgd::tunnel {

class TcpCoalescer {
 public:
  // merge=false: every packet passes through on its own (a TUN without virtio headers cannot
  // take a super-packet; its writes carry one IP packet each).
  explicit TcpCoalescer(bool merge = true);

  // Forgets everything added so far.
  void reset();
  // Adds the next packet; `packet` must stay valid (and writable: a merge rewrites the first
  // segment's headers) until the next flush()/reset().
  void add(MutableByteSpan packet);
  // Hands every resulting packet to `write(pieces)` in order: pieces[0] is the 10-byte virtio
  // header, the rest concatenated are the packet. Then resets.
  template <class Write>
  void flush(Write&& write);

  std::size_t merged_packets() const { return merged_total_; }  // for statistics/tests

 private:
  struct Item {
    MutableByteSpan head;     // the first packet
    std::size_t ip_len = 0;   // 0: not a TCP candidate, passed through unchanged
    std::size_t tcp_len = 0;
    bool v6 = false;
    bool closed = false;      // PSH seen, or a short segment: nothing may follow
    std::uint32_t next_seq = 0;
    std::uint16_t gso_size = 0;
    std::size_t total = 0;    // head + appended payload bytes
    int first_part = -1, last_part = -1;  // appended payloads (linked list in parts_)
    std::size_t parts = 0;
    bool psh_last = false;  // the last appended segment carried PSH
  };
  struct Part {
    ByteSpan payload;
    int next = -1;
  };

  bool try_append(Item& item, ByteSpan packet, std::size_t ip_len, std::size_t tcp_len, bool v6);
  // Rewrites a merged item's first segment for its new length and returns its virtio header.
  VirtioNetHdr finish_merge(const Item& item);

  std::vector<Item> items_;
  std::vector<Part> parts_;
  std::vector<ByteSpan> pieces_;
  std::size_t merged_total_ = 0;
  bool merge_ = true;
};

template <class Write>
void TcpCoalescer::flush(Write&& write) {
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
