// A Linux TUN interface: /dev/net/tun with IFF_TUN | IFF_NO_PI, one file descriptor per queue.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "util/bytes.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace wgd::tunnel {

// Linux interface names: 1..15 bytes, no '/', no whitespace, not "." or "..".
Result<void> validate_interface_name(std::string_view name);

class TunDevice {
 public:
  // Creates (or attaches to) the TUN interface `name`. The file descriptor is non-blocking;
  // the interface disappears when the last descriptor closes (it is not made persistent).
  // With `offloads`, every packet carries a virtio-net header and the kernel may hand over TCP
  // (and UDP) segmentation and checksums; what the kernel refuses is switched off again.
  static Result<TunDevice> create(std::string_view name, std::uint32_t mtu, bool offloads);

  // Whether packets are framed by a virtio-net header (IFF_VNET_HDR).
  bool vnet_hdr() const { return vnet_hdr_; }
  // The TUN_F_* offloads the kernel accepted (0 without vnet headers).
  unsigned offloads() const { return offloads_; }
  // Whether writes may carry UDP super-packets (VIRTIO_NET_HDR_GSO_UDP_L4) of that IP family:
  // the kernel accepted USO for it (Linux 6.2+, the same release that accepts such writes).
  bool udp_segmentation(bool v6) const;
  // Writes a header and a packet as one packet (one writev).
  Result<void> write(ByteSpan header, ByteSpan packet);
  // Writes the concatenation of `pieces` as one packet (one writev; at most 1024 pieces).
  Result<void> write(std::span<const ByteSpan> pieces);

  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  int fd() const { return fd_.get(); }

  // One packet into `buf`; 0 when none is waiting (EAGAIN). An error means the interface is gone.
  Result<std::size_t> read(MutableByteSpan buf);
  // One packet out. Transient kernel refusals (no buffer space) are not errors: the packet is
  // dropped as a congested NIC would.
  Result<void> write(ByteSpan packet);

  Result<std::uint32_t> mtu() const;
  Result<void> set_mtu(std::uint32_t mtu);

 private:
  TunDevice(UniqueFd fd, std::string name, int ifindex)
      : fd_(std::move(fd)), name_(std::move(name)), ifindex_(ifindex) {}
  Result<void> check_write(ssize_t written);
  UniqueFd fd_;
  bool vnet_hdr_ = false;
  unsigned offloads_ = 0;
  std::string name_;
  int ifindex_ = 0;
};

}  // namespace wgd::tunnel
