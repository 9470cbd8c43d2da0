// Creating the interface: wg-quick runs `ip link add IF type wireguard` and, without the kernel
// module, WG_QUICK_USERSPACE_IMPLEMENTATION (wireguard-go IF). We always run our own userspace
// interface, `wgd tunnel IF`, which goes to the background once the TUN device and the UAPI
// socket exist: when it exits 0 both are there, and the daemon it left behind serves them.
//
// The daemon exits when its link is deleted, removing its socket; wait_for_socket_gone() lets
// `down` and rollback return only once that has happened, so "nothing left" includes the socket.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "quick/step_log.h"
#include "util/error.h"

namespace wgd::quick {

struct TunnelLauncher {
  // The wgd executable; our own by default, whatever its path (or if it was replaced on disk).
  std::string program = "/proc/self/exe";
};

// `PROGRAM tunnel IF`, printed as "[#] wgd tunnel IF". Its error output goes to our stderr.
Result<void> start_tunnel(const TunnelLauncher& launcher, std::string_view interface,
                          const StepLog& log);

// Polls until `socket_path` no longer exists; false on timeout.
bool wait_for_socket_gone(const std::string& socket_path, std::chrono::milliseconds timeout);

}  // namespace wgd::quick
