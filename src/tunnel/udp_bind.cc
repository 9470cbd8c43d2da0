#include "tunnel/udp_bind.h"

#include <netinet/udp.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace wgd::tunnel {
namespace {

constexpr int kSocketBufferBytes = 7 << 20;  // as wireguard-go: room for bursts at line rate
constexpr std::size_t kSendMessages = 64;
constexpr std::size_t kMaxGsoSegments = 64;     // UDP_MAX_SEGMENTS on older kernels
constexpr std::size_t kMaxGsoBytes = 65000;     // a GSO message must fit one IP packet

std::string errno_text(int e) { return std::strerror(e); }

void set_buffer_sizes(int fd) {
  // SO_*BUFFORCE ignores the sysctl limits (we run as root); fall back to the capped variant.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBufferBytes, sizeof(int)) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBufferBytes, sizeof(int));
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kSocketBufferBytes, sizeof(int)) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBufferBytes, sizeof(int));
}

Result<UniqueFd> bind_socket(int family, std::uint16_t port, std::uint32_t fwmark) {
  UniqueFd s(socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!s) return fail(errno_text(errno), errno);
  set_buffer_sizes(s.get());
  if (fwmark != 0 && setsockopt(s.get(), SOL_SOCKET, SO_MARK, &fwmark, sizeof fwmark) != 0)
    return fail("set fwmark: " + errno_text(errno), errno);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else {
    const int one = 1;
    setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  }
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return fail("bind UDP port " + std::to_string(port) + ": " + errno_text(errno), errno);
  return s;
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ss.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)
                                 : ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

}  // namespace

ReceiveBatch::ReceiveBatch(std::size_t capacity, std::size_t buffer_size)
    : capacity_(capacity),
      stride_((buffer_size + 63) / 64 * 64),
      // Not zeroed: only the pages datagrams touch become resident.
      storage_(std::make_unique_for_overwrite<std::uint8_t[]>(capacity * stride_)),
      msgs_(capacity),
      iovs_(capacity),
      addrs_(capacity),
      control_(capacity),
      segment_(capacity),
      sources_(capacity) {
  for (std::size_t i = 0; i < capacity; ++i) {
    iovs_[i] = {storage_.get() + i * stride_, stride_};
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
  }
}

Result<std::unique_ptr<UdpBind>> UdpBind::open(std::uint16_t port, std::uint32_t fwmark,
                                               bool offloads) {
  // With port 0 the kernel picks a port for IPv4; IPv6 must then get the same one, which another
  // process may hold: try a few times.
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto b = std::make_unique<UdpBind>();
    auto v4 = bind_socket(AF_INET, port, fwmark);
    std::uint16_t chosen = port;
    if (v4) {
      chosen = bound_port(v4->get());
      b->sockets_[kV4] = std::move(*v4);
    } else if (v4.error().code != EAFNOSUPPORT) {
      return std::unexpected(v4.error().context("IPv4"));
    }
    auto v6 = bind_socket(AF_INET6, chosen, fwmark);
    if (v6) {
      if (chosen == 0) chosen = bound_port(v6->get());
      b->sockets_[kV6] = std::move(*v6);
    } else if (v6.error().code == EADDRINUSE && port == 0 && b->sockets_[kV4]) {
      continue;  // the free IPv4 port is taken for IPv6: pick another
    } else if (v6.error().code != EAFNOSUPPORT && v6.error().code != EADDRNOTAVAIL) {
      return std::unexpected(v6.error().context("IPv6"));
    }
    if (!b->sockets_[kV4] && !b->sockets_[kV6])
      return fail("no UDP socket could be opened (neither IPv4 nor IPv6 is available)", EAFNOSUPPORT);
    b->port_ = chosen;
    if (offloads) {
      const int one = 1;
      for (Family f : {kV4, kV6})
        b->gro_[f] = b->sockets_[f] && setsockopt(b->sockets_[f].get(), SOL_UDP, UDP_GRO, &one,
                                                  sizeof one) == 0;
      b->gso_ = true;  // switched off at the first refusal
    }
    return b;
  }
  return fail("could not find a UDP port free for both IPv4 and IPv6", EADDRINUSE);
}

Result<void> UdpBind::set_fwmark(std::uint32_t mark) {
  for (auto& s : sockets_) {
    if (s && setsockopt(s.get(), SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0)
      return fail("set fwmark: " + errno_text(errno), errno);
  }
  return {};
}

Result<void> UdpBind::receive(Family f, ReceiveBatch& batch) {
  batch.count = 0;
  for (std::size_t i = 0; i < batch.capacity_; ++i) {
    msghdr& h = batch.msgs_[i].msg_hdr;
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_control = gro_[f] ? batch.control_[i].data() : nullptr;
    h.msg_controllen = gro_[f] ? batch.control_[i].size() : 0;
    batch.msgs_[i].msg_len = 0;
  }
  int n;
  do {
    n = recvmmsg(sockets_[f].get(), batch.msgs_.data(), static_cast<unsigned>(batch.capacity_),
                 MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    // A pending ICMP error is reported once and means nothing for the next datagrams.
    if (errno == EAGAIN || errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
      return {};
    return fail("receive: " + errno_text(errno), errno);
  }
  std::size_t kept = 0;
  for (int i = 0; i < n; ++i) {
    msghdr& h = batch.msgs_[i].msg_hdr;
    auto src = Endpoint::from_sockaddr(static_cast<sockaddr*>(h.msg_name), h.msg_namelen);
    if (!src || (h.msg_flags & MSG_TRUNC)) continue;  // oversized or odd: drop
    std::size_t segment = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int size;
        std::memcpy(&size, CMSG_DATA(c), sizeof size);
        segment = static_cast<std::size_t>(size);
      }
    }
    if (kept != static_cast<std::size_t>(i)) {
      std::memcpy(batch.data(kept), batch.data(i), batch.msgs_[i].msg_len);
      batch.msgs_[kept].msg_len = batch.msgs_[i].msg_len;
    }
    batch.segment_[kept] = segment;
    batch.sources_[kept++] = *src;
  }
  batch.count = kept;
  return {};
}

void UdpBind::send(std::span<const OutgoingDatagram> datagrams) {
  // Keep order within each family; the two sockets are independent.
  std::size_t start = 0;
  while (start < datagrams.size()) {
    const Family f = datagrams[start].to.address.is_v4() ? kV4 : kV6;
    std::size_t end = start + 1;
    while (end < datagrams.size() && (datagrams[end].to.address.is_v4() ? kV4 : kV6) == f) ++end;
    send_family(f, datagrams.subspan(start, end - start));
    start = end;
  }
}

void UdpBind::send_family(Family f, std::span<const OutgoingDatagram> datagrams) {
  if (!sockets_[f]) return;  // no socket of that family: unreachable
  std::array<mmsghdr, kSendMessages> msgs;
  std::array<iovec, kSendMessages * kMaxGsoSegments> iovs;
  std::array<sockaddr_storage, kSendMessages> addrs;
  std::array<std::array<std::uint8_t, CMSG_SPACE(sizeof(std::uint16_t))>, kSendMessages> control;
  std::array<std::size_t, kSendMessages> datagrams_in;

  std::size_t done = 0;
  while (done < datagrams.size()) {
    const bool gso = gso_.load(std::memory_order_relaxed);
    // Build up to kSendMessages messages; with GSO each carries a run of equal-size datagrams
    // to one destination (the last of a run may be shorter).
    std::size_t m = 0, next = done, iov_used = 0;
    while (m < kSendMessages && next < datagrams.size()) {
      const OutgoingDatagram& first = datagrams[next];
      const std::size_t size = first.bytes.size();
      std::size_t run = 1, bytes = size;
      if (gso) {
        while (next + run < datagrams.size() && run < kMaxGsoSegments) {
          const OutgoingDatagram& d = datagrams[next + run];
          if (d.to != first.to || d.bytes.size() > size || bytes + d.bytes.size() > kMaxGsoBytes)
            break;
          bytes += d.bytes.size();
          ++run;
          if (d.bytes.size() < size) break;  // a shorter one ends the run
        }
      }
      msgs[m] = {};
      msghdr& h = msgs[m].msg_hdr;
      h.msg_iov = &iovs[iov_used];
      h.msg_iovlen = run;
      for (std::size_t k = 0; k < run; ++k)
        iovs[iov_used + k] = {const_cast<std::uint8_t*>(datagrams[next + k].bytes.data()),
                              datagrams[next + k].bytes.size()};
      iov_used += run;
      h.msg_name = &addrs[m];
      h.msg_namelen = first.to.to_sockaddr(addrs[m]);
      if (run > 1) {
        h.msg_control = control[m].data();
        h.msg_controllen = control[m].size();
        cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        const auto seg = static_cast<std::uint16_t>(size);
        std::memcpy(CMSG_DATA(c), &seg, sizeof seg);
      }
      datagrams_in[m] = run;
      next += run;
      ++m;
    }

    std::size_t sent_msgs = 0;
    while (sent_msgs < m) {
      const int r = sendmmsg(sockets_[f].get(), msgs.data() + sent_msgs,
                             static_cast<unsigned>(m - sent_msgs), 0);
      if (r > 0) {
        for (int k = 0; k < r; ++k) done += datagrams_in[sent_msgs + k];
        sent_msgs += static_cast<std::size_t>(r);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        // Socket buffer full: wait for room (bounded, so a stuck socket cannot stall us forever).
        pollfd p{sockets_[f].get(), POLLOUT, 0};
        if (poll(&p, 1, 100) <= 0) return;
        continue;
      }
      if (datagrams_in[sent_msgs] > 1 && (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP ||
                                          errno == ENOPROTOOPT)) {
        // The kernel or the outgoing device cannot segment: do it one datagram at a time.
        if (gso_.exchange(false))
          spdlog::info("UDP segmentation offload refused ({}); sending datagrams one by one",
                       errno_text(errno));
        break;  // rebuild the remaining messages without GSO
      }
      done += datagrams_in[sent_msgs];  // cannot be sent (no route...): drop it, go on
      ++sent_msgs;
    }
  }
}

void UdpBind::shutdown() {
  for (auto& s : sockets_)
    if (s) ::shutdown(s.get(), SHUT_RDWR);
}

}  // namespace wgd::tunnel
