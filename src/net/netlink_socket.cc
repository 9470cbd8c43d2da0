#include "net/netlink_socket.h"

#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <ctime>
#include <string>

namespace wgd::net {
namespace {

// Large enough for any datagram the kernel sends in a dump (it sizes them to at most 32 KiB).
constexpr std::size_t kReceiveBufferSize = 64 * 1024;
constexpr int kDumpAttempts = 5;

std::unexpected<Error> errno_error(std::string_view what, int code, std::string_view detail = {}) {
  std::string message = fmt::format("{}: {}", what, std::strerror(code));
  if (!detail.empty()) message += fmt::format(" ({})", detail);
  return std::unexpected(Error{std::move(message), code});
}

// The outcome carried by an NLMSG_ERROR message: success for an ACK, else the errno with the
// kernel's extended-ACK text (e.g. "MTU less than device minimum") when it sent one.
Result<void> ack_result(const nlmsghdr& nlh, std::string_view what) {
  const auto* err = message_header<nlmsgerr>(nlh);
  if (!err) return errno_error(what, EBADMSG, "truncated netlink error message");
  if (err->error == 0) return {};
  std::string detail;
  if (nlh.nlmsg_flags & NLM_F_ACK_TLVS) {
    // The TLVs follow the echoed request, which is only its header when NETLINK_CAP_ACK is on.
    std::size_t offset = sizeof(nlmsgerr);
    if (!(nlh.nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len >= sizeof(nlmsghdr))
      offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
    AttributeTable tlvs(nlh, offset, NLMSGERR_ATTR_MAX);
    detail = tlvs.string(NLMSGERR_ATTR_MSG).value_or("");
  }
  return errno_error(what, -err->error, detail);
}

}  // namespace

NetlinkSocket::NetlinkSocket(mnl_socket* s, std::uint32_t port_id)
    : sock_(s),
      port_id_(port_id),
      next_seq_(static_cast<std::uint32_t>(std::time(nullptr))),
      rx_buf_(kReceiveBufferSize) {}

Result<NetlinkSocket> NetlinkSocket::open(Options options) {
  int flags = SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0);
  mnl_socket* raw = mnl_socket_open2(NETLINK_ROUTE, flags);
  if (!raw) return errno_error("open rtnetlink socket", errno);
  std::unique_ptr<mnl_socket, Closer> s(raw);
  // Extended ACKs give the kernel's reason in words; capped ACKs keep it from echoing our request.
  // Both are best effort: an old kernel without them still answers with a plain errno.
  int one = 1;
  mnl_socket_setsockopt(s.get(), NETLINK_EXT_ACK, &one, sizeof one);
  mnl_socket_setsockopt(s.get(), NETLINK_CAP_ACK, &one, sizeof one);
  if (mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return errno_error("bind rtnetlink socket", errno);
  std::uint32_t port_id = mnl_socket_get_portid(s.get());
  return NetlinkSocket(s.release(), port_id);
}

int NetlinkSocket::fd() const {
  return mnl_socket_get_fd(sock_.get());
}

Result<void> NetlinkSocket::subscribe(unsigned group) {
  int g = static_cast<int>(group);
  if (mnl_socket_setsockopt(sock_.get(), NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0)
    return errno_error(fmt::format("join rtnetlink group {}", group), errno);
  return {};
}

Result<void> NetlinkSocket::send(NetlinkMessage& msg, std::string_view what) {
  if (msg.overflowed()) return errno_error(what, EMSGSIZE, "request does not fit its buffer");
  nlmsghdr* nlh = msg.header();
  nlh->nlmsg_seq = ++next_seq_;
  for (;;) {
    ssize_t n = mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len);
    if (n >= 0) return {};
    if (errno != EINTR) return errno_error(what, errno);
  }
}

Result<std::size_t> NetlinkSocket::receive_datagram(bool dont_wait, std::string_view what) {
  for (;;) {
    sockaddr_nl from{};
    iovec iov{rx_buf_.data(), rx_buf_.size()};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd(), &mh, dont_wait ? MSG_DONTWAIT : 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (dont_wait) return 0;
        // A non-blocking socket used for a request: wait for the answer instead of failing.
        pollfd p{fd(), POLLIN, 0};
        ::poll(&p, 1, -1);
        continue;
      }
      return errno_error(what, errno);
    }
    if (mh.msg_flags & MSG_TRUNC) return errno_error(what, EMSGSIZE, "netlink message truncated");
    if (from.nl_pid != 0) continue;  // only the kernel speaks rtnetlink to us
    return static_cast<std::size_t>(n);
  }
}

Result<void> NetlinkSocket::receive_answer(std::uint32_t seq, std::string_view what,
                                           const MessageHandler& on_message, bool* interrupted) {
  for (;;) {
    auto n = receive_datagram(false, what);
    if (!n) return std::unexpected(n.error());
    int len = static_cast<int>(*n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(rx_buf_.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      // Answers to an earlier request that was abandoned on error are skipped, not misread.
      if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != port_id_) continue;
      if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && interrupted) *interrupted = true;
      switch (nlh->nlmsg_type) {
        case NLMSG_NOOP:
          break;
        case NLMSG_OVERRUN:
          return errno_error(what, ENOBUFS, "netlink overrun");
        case NLMSG_ERROR:
          return ack_result(*nlh, what);
        case NLMSG_DONE: {
          // A dump that failed part way ends with DONE carrying a negative errno.
          const int* status = message_header<int>(*nlh);
          if (status && *status < 0) return errno_error(what, -*status);
          return {};
        }
        default:
          if (on_message) on_message(*nlh);
      }
    }
  }
}

Result<void> NetlinkSocket::request(NetlinkMessage& msg, std::string_view what,
                                    const MessageHandler& on_reply) {
  msg.header()->nlmsg_flags |= NLM_F_ACK;
  if (auto sent = send(msg, what); !sent) return sent;
  return receive_answer(msg.header()->nlmsg_seq, what, on_reply, nullptr);
}

Result<void> NetlinkSocket::dump(NetlinkMessage& msg, std::string_view what,
                                 const MessageHandler& on_message,
                                 const std::function<void()>& on_restart) {
  msg.header()->nlmsg_flags |= NLM_F_DUMP;
  for (int attempt = 1;; ++attempt) {
    if (auto sent = send(msg, what); !sent) return sent;
    bool interrupted = false;
    if (auto r = receive_answer(msg.header()->nlmsg_seq, what, on_message, &interrupted); !r)
      return r;
    if (!interrupted) return {};
    if (attempt == kDumpAttempts)
      return errno_error(what, EINTR, "the table kept changing while it was being read");
    if (on_restart) on_restart();
  }
}

Result<void> NetlinkSocket::receive_pending(const MessageHandler& on_message) {
  for (;;) {
    auto n = receive_datagram(true, "read rtnetlink notifications");
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return {};
    int len = static_cast<int>(*n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(rx_buf_.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type == NLMSG_OVERRUN)
        return errno_error("read rtnetlink notifications", ENOBUFS, "netlink overrun");
      if (nlh->nlmsg_type < NLMSG_MIN_TYPE) continue;  // NOOP, ERROR and DONE carry no event
      on_message(*nlh);
    }
  }
}

}  // namespace wgd::net
