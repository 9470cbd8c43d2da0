#include "doctor/udp_listener.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace wgd::doctor {
namespace {

Result<UniqueFd> bind_socket(int family, std::uint16_t port) {
  UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(fmt::format("socket: {}", std::strerror(errno)), errno);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (family == AF_INET6) {
    int off = 0;  // one socket for both families, as `nc -lup` on a dual-stack host
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    len = sizeof *sin6;
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    len = sizeof *sin;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0)
    return fail(fmt::format("bind UDP port {}: {}", port, std::strerror(errno)), errno);
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return 0;
  auto ep = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  return ep ? ep->port : 0;
}

}  // namespace

Result<UdpListener> UdpListener::bind(std::uint16_t port) {
  auto fd = bind_socket(AF_INET6, port);
  if (!fd && (fd.error().code == EAFNOSUPPORT || fd.error().code == EADDRNOTAVAIL))
    fd = bind_socket(AF_INET, port);
  if (!fd) return std::unexpected(fd.error());
  const std::uint16_t actual = bound_port(fd->get());
  return UdpListener(std::move(*fd), actual);
}

Result<int> UdpListener::run(std::chrono::milliseconds timeout, int max_count, bool reply,
                             const std::function<void(const ListenEvent&)>& on_event) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  int received = 0;
  std::array<std::uint8_t, 65536> buf{};
  while (max_count == 0 || received < max_count) {
    int wait_ms = -1;
    if (timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      wait_ms = static_cast<int>(left.count());
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, wait_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return fail(fmt::format("poll: {}", std::strerror(errno)), errno);
    }
    if (rc == 0) continue;  // the deadline check above ends the loop
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return fail(fmt::format("recvfrom: {}", std::strerror(errno)), errno);
    }
    ++received;
    std::span<const std::uint8_t> data(buf.data(), static_cast<std::size_t>(n));
    ListenEvent ev;
    if (auto ep = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&from), from_len)) {
      ev.from = *ep;
      ev.from.address = ev.from.address.unmapped();
    }
    ev.size = data.size();
    ev.text = printable_payload(data);
    ev.probe = decode_probe_message(data);
    if (ev.probe && ev.probe->kind == ProbeMessage::Kind::kProbe && reply) {
      std::string answer =
          encode_probe_message({ProbeMessage::Kind::kReply, ev.probe->token, ev.probe->seq});
      // Straight back to the source address and port the probe came from (the same socket
      // address, so a NAT on the way maps the reply back as it would WireGuard's).
      if (::sendto(fd_.get(), answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from),
                   from_len) < 0)
        ev.answer_error = std::strerror(errno);
      else
        ev.answered = true;
    }
    if (on_event) on_event(ev);
  }
  return received;
}

std::optional<std::uint16_t> find_free_udp_port(std::uint16_t start, int tries) {
  for (int i = 0; i < tries && start + i <= 65535; ++i) {
    const auto port = static_cast<std::uint16_t>(start + i);
    if (port == 0) continue;
    if (UdpListener::bind(port)) return port;
  }
  return std::nullopt;
}

}  // namespace wgd::doctor
