// DNS = ... while the interface is up, as wg-quick does it:
//
//   printf 'nameserver %s\n' SERVERS; printf 'search %s\n' DOMAINS | resolvconf -a PREFIXIF -m 0 -x
//   resolvconf -d PREFIXIF -f                           (on the way down)
//
// (PREFIX from /etc/resolvconf/interface-order, as resolvconf_iface_prefix). Where resolvconf is
// not installed but systemd-resolved runs, we say the same through resolvectl — what systemd's
// own resolvconf shim does for those flags: `resolvectl dns IF SERVERS`, `resolvectl domain IF
// DOMAINS ~.` (-x, exclusive, becomes the catch-all routing domain "~."), `resolvectl revert IF`.
// With neither, a file with DNS servers is refused before anything is created.
//
// As in wg-quick, search domains alone (no server) configure nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quick/step_log.h"
#include "uapi/wg_quick_config.h"
#include "util/error.h"

namespace wgd::quick {

// System paths, replaceable in tests.
struct DnsEnvironment {
  std::string interface_order = "/etc/resolvconf/interface-order";
  std::string resolvconf_run_dir = "/etc/resolvconf/run/interface";
  // systemd-resolved's varlink socket: present while the service runs.
  std::string resolved_socket = "/run/systemd/resolve/io.systemd.Resolve";
};

struct DnsPlan {
  enum class Backend : std::uint8_t { kNone, kResolvconf, kResolvectl };
  Backend backend = Backend::kNone;
  std::string program;  // the resolvconf or resolvectl found in PATH
  std::string key;      // resolvconf's record name: PREFIX + interface ("tun.wg0", "wg0")
  std::string interface;
  std::vector<std::string> servers;  // as text
  std::vector<std::string> search;
};

// Decides how DNS will be set, and fails (naming what to install) when it cannot be.
Result<DnsPlan> plan_dns(const uapi::WgQuickInterface& itf, std::string_view interface,
                         const DnsEnvironment& env = {});

// resolvconf_iface_prefix: "tun." when interface-order lists "tun*" first among such patterns,
// and resolvconf is not a symlink (systemd's shim); empty otherwise.
std::string resolvconf_interface_prefix(const std::string& resolvconf_program,
                                        const DnsEnvironment& env = {});

// The text resolvconf -a reads: "nameserver X" lines, then one "search A B" line.
std::string resolvconf_text(const DnsPlan& plan);

Result<void> set_dns(const DnsPlan& plan, const StepLog& log);
// `link_exists`: systemd-resolved forgets a link's DNS when the link goes, and `resolvectl
// revert` can only name a link that still exists, so after deletion there is nothing to do.
Result<void> unset_dns(const DnsPlan& plan, bool link_exists, const StepLog& log);

// For SaveConfig: the DNS entries to write back. wg-quick keeps the "nameserver" lines that
// `resolvconf -l KEY` (or resolvconf's run file) reports; we keep its "search" words too, which
// wg-quick drops, and, when resolvconf reports nothing (systemd-resolved, Debian's resolvconf
// without -l), the file's own DNS entries, which wg-quick would lose.
std::vector<std::string> dns_to_save(const DnsPlan& plan, const DnsEnvironment& env = {});

}  // namespace wgd::quick
