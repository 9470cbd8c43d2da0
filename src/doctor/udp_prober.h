// `wgd doctor probe HOST:PORT`: the `echo ... | nc -u HOST PORT` side of seed 000's recipe,
// with an answer: each probe carries this run's token, a `wgd doctor listen` on the other side
// sends it back, and the round trip is measured. The socket is connected, so an ICMP error on
// the way ("port unreachable", "host unreachable") surfaces as an errno and is reported too.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/ip.h"

namespace wgd::doctor {

struct ProbeOptions {
  int count = 3;
  std::chrono::milliseconds interval{500};  // between probes
  std::chrono::milliseconds wait{2000};     // for answers after the last probe
};

struct ProbeEvent {
  enum class Kind : std::uint8_t { kSent, kAnswered, kError };
  Kind kind = Kind::kSent;
  std::uint32_t seq = 0;
  double rtt_ms = 0;
  std::string detail;  // the errno text for kError
};

struct ProbeResult {
  Endpoint target;
  int sent = 0;
  int answered = 0;
  std::vector<double> rtts_ms;
  int error = 0;  // the last errno an ICMP error (or the local firewall) produced; 0: none
};

Result<ProbeResult> run_probe(const Endpoint& target, const ProbeOptions& options,
                              const std::function<void(const ProbeEvent&)>& on_event);

// The verdict in one line: reachable with round trips, refused ("port unreachable"), rejected
// on the way, blocked by this host's firewall, or "no answer: UDP PORT is blocked on the way or
// nothing listens". `host` is the name the user gave.
std::string summarize_probe(const ProbeResult& result, std::string_view host);

}  // namespace wgd::doctor
