// `wgd up FILE|NAME` and `wgd down FILE|NAME`: wg-quick(8) for the same files, done by our own
// code — netlink through src/net, the device through its UAPI socket — step by step as
// wireguard-tools' src/wg-quick/linux.bash does it, printing "[#] ..." before each step.
//
// up:   parse the file and resolve everything (endpoints, table name, DNS and firewall tools)
//       before touching the system; refuse if IF exists; start `wgd tunnel IF`; PreUp hooks;
//       configure the device (wg setconf); addresses; MTU (given or computed) and link up; DNS;
//       a route per allowed IP (longest prefix first; skipped when a route via IF covers it, or
//       into Table = N; a /0 with Table = auto gets wg-quick's fwmark table, two policy rules,
//       src_valid_mark and firewall rules); PostUp hooks. Any failure after the interface was
//       created undoes what was done, newest first, deleting the link last, and reports the
//       original error.
// down: PreDown hooks; SaveConfig; the policy rules (if a default route was handled); delete the
//       link (the tunnel exits and removes its socket); DNS; firewall rules; PostDown hooks.
//       As in wg-quick (`set -e`), a failing PreDown hook or SaveConfig stops before anything is
//       taken down, while DNS and firewall removal only warn.
//
// Order follows current wireguard-tools (PreUp after the interface exists, rules before the
// default route, the sysctl only written when not already 1); Debian 12's 1.0.20210914 ran PreUp
// first. The "[#]" lines name the equivalent ip/wg commands; the setconf line reads
// "wg setconf IF <(wgd strip FILE)".
//
// Where we differ from wg-quick, on purpose: hooks run with /bin/sh (see hooks.h); DNS falls back
// to resolvectl when resolvconf is missing (dns.h); the IPv4 `src_valid_mark` sysctl and PreUp
// side effects are, as in wg-quick, not undone. Only userspace interfaces with a UAPI socket can
// be taken down (a kernel WireGuard link has none).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "quick/config_location.h"
#include "quick/dns.h"
#include "quick/routes.h"
#include "quick/step_log.h"
#include "quick/tunnel_process.h"
#include "util/error.h"

namespace wgd::quick {

struct QuickOptions {
  std::string config_dir = std::string(kDefaultConfigDir);
  TunnelLauncher tunnel;
  DnsEnvironment dns;
  std::vector<std::string> rt_tables_dirs = kRtTablesDirs;
  // How long `down` and rollback wait for the tunnel to remove its socket after the link went.
  std::chrono::milliseconds tunnel_exit_timeout{5000};
  StepLog log;
};

Result<void> quick_up(std::string_view file_or_name, const QuickOptions& options = {});
Result<void> quick_down(std::string_view file_or_name, const QuickOptions& options = {});

}  // namespace wgd::quick
