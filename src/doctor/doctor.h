// `wgd doctor [IFNAME...]`: the troubleshooting of seed 000, automated, for the interfaces this
// host serves over the UAPI (wgd tunnel, wireguard-go, boringtun): is the interface there and
// up, does its socket answer, what does the firewall do to its port, and for every peer, what
// the handshake age and the transfer counters say. See docs/doctor.md.
#pragma once

#include <string>
#include <vector>

#include "doctor/finding.h"
#include "doctor/forwarding_checks.h"

namespace wgd::doctor {

struct DoctorOptions {
  std::vector<std::string> interfaces;  // empty: every *.sock in socket_dir
  std::string socket_dir = "/var/run/wireguard";
  // Seconds between two readings of the counters (0: one reading). Taken only when a peer's
  // state needs it (no handshake, or a stale one): "still sending?" decides those.
  double sample_seconds = 2;
  GatewaySettings gateway;
};

Report run_doctor(const DoctorOptions& options);

// The interface names with a socket in `dir`, sorted; stale sockets included (doctor reports
// them rather than removing them, as `wg show` would).
std::vector<std::string> socket_interfaces(const std::string& dir);

}  // namespace wgd::doctor
