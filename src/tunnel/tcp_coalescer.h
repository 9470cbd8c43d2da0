// Merges consecutive in-order TCP segments of one flow into a single "super-packet" for one TUN
// write, as the kernel's GRO does on a real NIC: the local TCP stack then handles one 64 KiB
// buffer instead of forty-odd 1.4 KiB ones, which is most of the receive cost.
//
// Rules (those of the kernel's tcp_gro_receive, as wireguard-go also applies them): same
// addresses, ports and ACK number; flags ACK or ACK|PSH only (PSH ends a merge); identical TCP
// options and window; compatible IP headers (TOS/traffic class, TTL/hop limit, DF); contiguous
// sequence numbers; every segment but the last of gso_size bytes; at most 64 KiB in total; and
// a valid checksum on every segment merged (a merged packet is handed over as CHECKSUM_PARTIAL,
// so nobody would check it later).
#pragma once

#include <cstdint>
#include <vector>

#include "tunnel/virtio_net_hdr.h"
#include "util/bytes.h"

namespace wgd::tunnel {

class TcpCoalescer {
 public:
  TcpCoalescer();

  // Forgets everything added so far.
  void reset();
  // Adds the next packet; `packet` must stay valid until the next flush()/reset().
  void add(ByteSpan packet);
  // Hands every resulting packet to `write(header, packet)` in order (header: the 10-byte
  // virtio header to put in front), then resets.
  template <class Write>
  void flush(Write&& write);

  std::size_t merged_packets() const { return merged_total_; }  // for statistics/tests

 private:
  struct Item {
    ByteSpan head;            // the first packet
    std::size_t ip_len = 0;   // 0: not a TCP candidate, passed through unchanged
    std::size_t tcp_len = 0;
    bool v6 = false;
    bool closed = false;      // PSH seen, or a short segment: nothing may follow
    std::uint32_t next_seq = 0;
    std::uint16_t gso_size = 0;
    std::size_t total = 0;    // head + appended payload bytes
    int first_part = -1, last_part = -1;  // appended payloads (linked list in parts_)
    bool head_checked = false;
  };
  struct Part {
    ByteSpan payload;
    int next = -1;
  };

  bool try_append(Item& item, ByteSpan packet, std::size_t ip_len, std::size_t tcp_len, bool v6);
  // Builds a merged item into out_ and returns the header to send with it.
  ByteSpan build(const Item& item, VirtioNetHdr& hdr);

  std::vector<Item> items_;
  std::vector<Part> parts_;
  std::vector<std::uint8_t> out_;
  std::size_t merged_total_ = 0;
};

template <class Write>
void TcpCoalescer::flush(Write&& write) {
  std::uint8_t header[kVirtioNetHdrSize];
  for (const Item& item : items_) {
    VirtioNetHdr hdr;  // all zero: a plain packet, the kernel checks its checksum itself
    ByteSpan packet = item.first_part < 0 ? item.head : build(item, hdr);
    hdr.encode(header);
    write(ByteSpan(header, kVirtioNetHdrSize), packet);
  }
  reset();
}

}  // namespace wgd::tunnel
