// `wgd doctor listen`: the `nc -lup PORT` side of seed 000's recipe — a UDP socket on a port
// that reports every datagram that arrives, with its source, and answers doctor's probes so the
// prober learns the way back is open too.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "doctor/probe_protocol.h"
#include "util/error.h"
#include "util/ip.h"
#include "util/unique_fd.h"

namespace wgd::doctor {

struct ListenEvent {
  Endpoint from;
  std::size_t size = 0;
  std::optional<ProbeMessage> probe;  // set for a doctor probe
  std::string text;                   // the payload, printable
  bool answered = false;
  std::string answer_error;  // why the reply could not be sent
};

class UdpListener {
 public:
  // Binds [::]:port for IPv4 and IPv6 both (IPv4 only where IPv6 is off); port 0 picks one.
  // A port in use fails with code EADDRINUSE.
  static Result<UdpListener> bind(std::uint16_t port);

  std::uint16_t port() const { return port_; }

  // Reports each datagram until `timeout` passes (zero: no limit) or `max_count` datagrams have
  // arrived (0: no limit); answers doctor probes when `reply`. Returns how many arrived.
  Result<int> run(std::chrono::milliseconds timeout, int max_count, bool reply,
                  const std::function<void(const ListenEvent&)>& on_event);

 private:
  UdpListener(UniqueFd fd, std::uint16_t port) : fd_(std::move(fd)), port_(port) {}
  UniqueFd fd_;
  std::uint16_t port_ = 0;
};

// The first port from `start` on (at most `tries` of them) that can be bound now.
std::optional<std::uint16_t> find_free_udp_port(std::uint16_t start, int tries = 100);

}  // namespace wgd::doctor
