#include "doctor/udp_prober.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "doctor/probe_protocol.h"
#include "util/unique_fd.h"

namespace wgd::doctor {
namespace {

using Clock = std::chrono::steady_clock;

// Errors a connected UDP socket reports after an ICMP message, or when a local rule refuses.
bool is_path_error(int e) {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EPERM || e == EACCES ||
         e == EHOSTDOWN;
}

std::string target_text(const ProbeResult& r, std::string_view host) {
  std::string address = r.target.to_string();
  if (host.empty() || address.starts_with(host) || address.starts_with("[" + std::string(host)))
    return address;
  return fmt::format("{} ({})", host, address);
}

}  // namespace

Result<ProbeResult> run_probe(const Endpoint& target, const ProbeOptions& options,
                              const std::function<void(const ProbeEvent&)>& on_event) {
  ProbeResult result;
  result.target = target;
  sockaddr_storage ss{};
  const socklen_t len = target.to_sockaddr(ss);
  UniqueFd fd(::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(fmt::format("socket: {}", std::strerror(errno)), errno);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0)
    return fail(fmt::format("connect to {}: {}", target.to_string(), std::strerror(errno)), errno);

  const std::string token = new_probe_token();
  const int count = std::max(1, options.count);
  std::vector<Clock::time_point> sent_at(static_cast<std::size_t>(count));
  std::vector<bool> answered(static_cast<std::size_t>(count), false);
  auto emit = [&](ProbeEvent ev) {
    if (on_event) on_event(ev);
  };
  auto note_error = [&](int e, std::uint32_t seq) {
    result.error = e;
    emit({ProbeEvent::Kind::kError, seq, 0, std::strerror(e)});
  };

  const Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + options.interval * (count - 1) + options.wait;
  std::array<std::uint8_t, 2048> buf{};
  while (Clock::now() < deadline && result.answered < count) {
    // Send every probe whose time has come.
    while (result.sent < count && Clock::now() >= start + options.interval * result.sent) {
      const auto seq = static_cast<std::uint32_t>(result.sent);
      std::string msg = encode_probe_message({ProbeMessage::Kind::kProbe, token, seq});
      sent_at[seq] = Clock::now();
      ssize_t n = ::send(fd.get(), msg.data(), msg.size(), 0);
      if (n < 0 && is_path_error(errno)) {
        // Often the error of an earlier probe's ICMP message, reported now: note it and send
        // this probe again. A second failure is this probe's own (e.g. a local DROP: EPERM).
        note_error(errno, seq);
        n = ::send(fd.get(), msg.data(), msg.size(), 0);
        if (n < 0 && is_path_error(errno)) note_error(errno, seq);
      }
      if (n < 0 && !is_path_error(errno))
        return fail(fmt::format("send to {}: {}", target.to_string(), std::strerror(errno)), errno);
      ++result.sent;
      if (n >= 0) emit({ProbeEvent::Kind::kSent, seq, 0, {}});
    }
    Clock::time_point wake =
        result.sent < count ? start + options.interval * result.sent : deadline;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
    pollfd p{fd.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()) + 1));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return fail(fmt::format("poll: {}", std::strerror(errno)), errno);
    }
    if (rc == 0) continue;
    ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (is_path_error(errno)) {
        note_error(errno, static_cast<std::uint32_t>(std::max(0, result.sent - 1)));
        continue;
      }
      return fail(fmt::format("recv from {}: {}", target.to_string(), std::strerror(errno)), errno);
    }
    auto m = decode_probe_message({buf.data(), static_cast<std::size_t>(n)});
    if (!m || m->kind != ProbeMessage::Kind::kReply || m->token != token ||
        m->seq >= static_cast<std::uint32_t>(result.sent) || answered[m->seq])
      continue;  // not an answer to this run (a late one, another prober's, a stray datagram)
    answered[m->seq] = true;
    ++result.answered;
    const double rtt =
        std::chrono::duration<double, std::milli>(Clock::now() - sent_at[m->seq]).count();
    result.rtts_ms.push_back(rtt);
    emit({ProbeEvent::Kind::kAnswered, m->seq, rtt, {}});
  }
  return result;
}

std::string summarize_probe(const ProbeResult& r, std::string_view host) {
  const std::string where = target_text(r, host);
  const auto port = r.target.port;
  if (r.answered > 0) {
    const auto [lo, hi] = std::minmax_element(r.rtts_ms.begin(), r.rtts_ms.end());
    const double avg = std::accumulate(r.rtts_ms.begin(), r.rtts_ms.end(), 0.0) /
                       static_cast<double>(r.rtts_ms.size());
    return fmt::format(
        "UDP {} reaches {} and back: {} of {} probes answered (round trip "
        "min/avg/max {:.3f}/{:.3f}/{:.3f} ms)",
        port, where, r.answered, r.sent, *lo, avg, *hi);
  }
  switch (r.error) {
    case ECONNREFUSED:
      return fmt::format(
          "sent {} probes to {}: \"port unreachable\" came back: the way is open "
          "but nothing listens on UDP {} there (start `wgd doctor listen --port "
          "{}` on it), or a firewall there rejects it",
          r.sent, where, port, port);
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
      return fmt::format(
          "sent {} probes to {}: \"{}\" came back: a router or firewall on the "
          "way rejects UDP {} (or the host is down)",
          r.sent, where, std::strerror(r.error), port);
    case EPERM:
    case EACCES:
      return fmt::format(
          "{} probes to {} were refused by this host's own firewall ({}): it "
          "blocks outgoing UDP {} (run `wgd doctor` to name the rule)",
          r.sent, where, std::strerror(r.error), port);
    default:
      return fmt::format(
          "sent {} probes to {}, no answer: UDP {} is blocked on the way or "
          "nothing listens (start `wgd doctor listen --port {}` there and probe "
          "again; a WireGuard interface itself never answers probes)",
          r.sent, where, port, port);
  }
}

}  // namespace wgd::doctor
