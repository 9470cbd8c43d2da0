#include "tunnel/tun_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

// UDP segmentation offload flags, from Linux 6.2 (newer than bookworm's headers).
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

namespace wgd::tunnel {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

// Interface ioctls go through any socket.
Result<UniqueFd> ioctl_socket() {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return fail("socket for interface ioctls: " + errno_text(errno), errno);
  return s;
}

}  // namespace

Result<void> validate_interface_name(std::string_view name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return fail("interface name '" + std::string(name) + "' must be 1 to 15 characters", EINVAL);
  if (name == "." || name == "..")
    return fail("interface name '" + std::string(name) + "' is not allowed", EINVAL);
  for (char c : name) {
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
      return fail("interface name '" + std::string(name) + "' contains '/', ':' or white space",
                  EINVAL);
  }
  return {};
}

Result<TunDevice> TunDevice::create(std::string_view name, std::uint32_t mtu, bool offloads) {
  if (auto ok = validate_interface_name(name); !ok) return std::unexpected(ok.error());
  UniqueFd fd(open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return fail("open /dev/net/tun: " + errno_text(errno), errno);
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0);
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd.get(), TUNSETIFF, &ifr) < 0)
    return fail("create TUN interface " + std::string(name) + ": " + errno_text(errno), errno);
  const int index = static_cast<int>(if_nametoindex(ifr.ifr_name));
  if (index == 0) return fail("TUN interface " + std::string(name) + " vanished", ENODEV);
  TunDevice tun(std::move(fd), ifr.ifr_name, index);
  if (offloads) {
    tun.vnet_hdr_ = true;
    int hdr_size = 10;  // sizeof(virtio_net_hdr): no mergeable-buffer fields
    if (ioctl(tun.fd(), TUNSETVNETHDRSZ, &hdr_size) < 0)
      return fail("set virtio header size on " + tun.name_ + ": " + errno_text(errno), errno);
    // Newest first: UDP segmentation (USO) needs Linux 6.2; TSO and checksums much less.
    for (unsigned want : {0u + (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6),
                          0u + (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6), 0u}) {
      if (ioctl(tun.fd(), TUNSETOFFLOAD, want) == 0) {
        tun.offloads_ = want;
        break;
      }
    }
  }
  if (mtu != 0) {
    if (auto ok = tun.set_mtu(mtu); !ok) return std::unexpected(ok.error());
  }
  return tun;
}

bool TunDevice::udp_segmentation(bool v6) const {
  return vnet_hdr_ && (offloads_ & (v6 ? TUN_F_USO6 : TUN_F_USO4)) != 0;
}

Result<std::size_t> TunDevice::read(MutableByteSpan buf) {
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return 0;
    return fail("read from " + name_ + ": " + errno_text(errno), errno);
  }
}

Result<void> TunDevice::check_write(ssize_t written) {
  if (written >= 0) return {};
  if (errno == EAGAIN || errno == ENOBUFS || errno == ENOMEM) return {};  // dropped
  // EINVAL: the kernel refused this one packet (e.g. a malformed header): drop, go on.
  if (errno == EINVAL) return {};
  // EIO/EBADFD: the interface is gone.
  return fail("write to " + name_ + ": " + errno_text(errno), errno);
}

Result<void> TunDevice::write(ByteSpan packet) {
  if (vnet_hdr_) {
    static constexpr std::uint8_t kPlain[10] = {};  // no offload state: the kernel checks all
    return write(ByteSpan(kPlain, sizeof kPlain), packet);
  }
  ssize_t n;
  do n = ::write(fd_.get(), packet.data(), packet.size());
  while (n < 0 && errno == EINTR);
  return check_write(n);
}

Result<void> TunDevice::write(ByteSpan header, ByteSpan packet) {
  const ByteSpan pieces[2] = {header, packet};
  return write(std::span<const ByteSpan>(pieces));
}

Result<void> TunDevice::write(std::span<const ByteSpan> pieces) {
  static constexpr std::size_t kMaxPieces = 1024;  // IOV_MAX
  if (pieces.size() > kMaxPieces) return fail("too many pieces for one TUN write", EINVAL);
  iovec iov[kMaxPieces];
  for (std::size_t i = 0; i < pieces.size(); ++i)
    iov[i] = {const_cast<std::uint8_t*>(pieces[i].data()), pieces[i].size()};
  ssize_t n;
  do n = ::writev(fd_.get(), iov, static_cast<int>(pieces.size()));
  while (n < 0 && errno == EINTR);
  return check_write(n);
}

Result<std::uint32_t> TunDevice::mtu() const {
  auto s = ioctl_socket();
  if (!s) return std::unexpected(s.error());
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name_.data(), name_.size());
  if (ioctl(s->get(), SIOCGIFMTU, &ifr) < 0)
    return fail("read MTU of " + name_ + ": " + errno_text(errno), errno);
  return static_cast<std::uint32_t>(ifr.ifr_mtu);
}

Result<void> TunDevice::set_mtu(std::uint32_t mtu) {
  auto s = ioctl_socket();
  if (!s) return std::unexpected(s.error());
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name_.data(), name_.size());
  ifr.ifr_mtu = static_cast<int>(mtu);
  if (ioctl(s->get(), SIOCSIFMTU, &ifr) < 0)
    return fail("set MTU " + std::to_string(mtu) + " on " + name_ + ": " + errno_text(errno), errno);
  return {};
}

}  // namespace wgd::tunnel
