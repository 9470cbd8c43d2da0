#include "uapi/uapi_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

#include "uapi/uapi_paths.h"
#include "uapi/uapi_protocol.h"
#include "uapi/uapi_secret_text.h"
#include "util/unique_fd.h"

namespace wgd::uapi {
namespace {

// A get reply with tens of thousands of peers stays well below this.
constexpr std::size_t kMaxReplyBytes = 256u << 20;

Error io_error(std::string_view path, std::string_view what, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) err = ETIMEDOUT;
  return Error{fmt::format("{}: {}: {}", path, what, std::strerror(err)), err};
}

Result<UniqueFd> connect_to(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return fail(fmt::format("{}: socket path too long", path), ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(io_error(path, "socket", errno));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (err == ENOENT)
      return fail(fmt::format("{}: no UAPI socket (is the interface running?)", path), err);
    if (err == ECONNREFUSED)
      return fail(fmt::format("{}: nobody serves this UAPI socket (stale file)", path), err);
    return std::unexpected(io_error(path, "connect", err));
  }
  return fd;
}

Result<void> send_all(int fd, std::string_view path, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(io_error(path, "send", errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Reads up to and including the blank line that ends every reply. Every reply starts with a
// non-empty line (at least "errno=..."), so the first "\n\n" is its end.
Result<std::string> read_reply(int fd, std::string_view path) {
  std::string reply;
  char buf[16 * 1024];
  for (;;) {
    std::size_t end = reply.find("\n\n");
    if (end != std::string::npos) {
      reply.resize(end + 2);
      break;
    }
    if (reply.size() > kMaxReplyBytes) {
      wipe(reply);
      return fail(fmt::format("{}: reply larger than {} bytes", path, kMaxReplyBytes), EPROTO);
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      wipe(reply);
      return std::unexpected(io_error(path, "receive", err));
    }
    if (n == 0) {
      wipe(reply);
      return fail(fmt::format("{}: connection closed before the end of the reply", path), EPROTO);
    }
    reply.append(buf, static_cast<std::size_t>(n));
  }
  sodium_memzero(buf, sizeof buf);
  return reply;
}

}  // namespace

Result<wg::DeviceStatus> get(std::string_view ifname_or_path, std::chrono::milliseconds timeout) {
  auto path = resolve_socket_path(ifname_or_path);
  if (!path) return std::unexpected(path.error());
  auto fd = connect_to(*path, timeout);
  if (!fd) return std::unexpected(fd.error());
  if (auto ok = send_all(fd->get(), *path, "get=1\n\n"); !ok) return std::unexpected(ok.error());
  auto reply = read_reply(fd->get(), *path);
  if (!reply) return std::unexpected(reply.error());
  WipeOnExit wipe_reply(*reply);
  auto status = parse_get(*reply);
  if (!status) return std::unexpected(status.error().context(*path + ": get"));
  return status;
}

Result<void> set(std::string_view ifname_or_path, const wg::DeviceChange& change,
                 std::chrono::milliseconds timeout) {
  auto path = resolve_socket_path(ifname_or_path);
  if (!path) return std::unexpected(path.error());
  auto fd = connect_to(*path, timeout);
  if (!fd) return std::unexpected(fd.error());
  std::string body = render_set(change);
  WipeOnExit wipe_body(body);
  std::string request;
  WipeOnExit wipe_request(request);
  request.reserve(body.size() + 8);  // no reallocation: no unwiped copy of the keys
  request += "set=1\n";
  request += body;
  request += '\n';
  if (auto ok = send_all(fd->get(), *path, request); !ok) return std::unexpected(ok.error());
  auto reply = read_reply(fd->get(), *path);
  if (!reply) return std::unexpected(reply.error());
  std::string_view r = *reply;
  // Exactly "errno=N\n\n"; wireguard-go sends N negated, a few others positive: take |N|.
  if (!r.starts_with("errno=") || !r.ends_with("\n\n"))
    return fail(fmt::format("{}: set: reply is not errno=N", *path), EPROTO);
  std::string_view number = r.substr(6, r.size() - 8);
  bool negative = number.starts_with('-');
  if (negative) number.remove_prefix(1);
  int code = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), code);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || code < 0)
    return fail(fmt::format("{}: set: reply is not errno=N", *path), EPROTO);
  if (code != 0)
    return fail(fmt::format("{}: set refused: {}", *path, std::strerror(code)), code);
  return {};
}

}  // namespace wgd::uapi
