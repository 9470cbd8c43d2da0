// `wgd down`: wg-quick's cmd_down (see quick.h).
#include <cerrno>

#include "net/address.h"
#include "net/link.h"
#include "quick/firewall.h"
#include "quick/hooks.h"
#include "quick/policy_rules.h"
#include "quick/quick.h"
#include "quick/save_config.h"
#include "uapi/uapi_client.h"
#include "uapi/uapi_paths.h"

namespace wgd::quick {
namespace {

bool routes_a_whole_family(const wg::DeviceStatus& status) {
  for (const auto& p : status.peers)
    for (const auto& a : p.allowed_ips)
      if (a.length == 0) return true;
  return false;
}

Result<void> save_config(const ConfigLocation& location, const uapi::WgQuickConfig& config,
                         const DnsPlan& dns, const QuickOptions& options,
                         net::NetlinkSocket& nl) {
  const std::string& ifname = location.interface;
  SavedInterfaceState now;
  auto addresses = net::address_list(nl, {.link = net::LinkRef(ifname), .family = std::nullopt});
  if (!addresses) return std::unexpected(addresses.error());
  for (const auto& a : *addresses) now.addresses.push_back(a.prefix);
  now.dns = dns_to_save(dns, options.dns);
  if (auto link = net::link_get(nl, ifname)) now.link_mtu = link->mtu;
  options.log.step(fmt::format("wg showconf {}", ifname));
  auto status = uapi::get(ifname);
  if (!status) return std::unexpected(status.error().context(ifname));
  return write_file_atomically(location.path,
                               render_saved_config(config.interface, now, *status));
}

}  // namespace

Result<void> quick_down(std::string_view file_or_name, const QuickOptions& options) {
  const StepLog& log = options.log;
  auto location = locate_config(file_or_name, options.config_dir);
  if (!location) return std::unexpected(location.error());
  if (auto warning = world_accessible_warning(location->path)) log.raw(*warning);
  auto config = read_config(*location);
  if (!config) return std::unexpected(config.error());
  const std::string& ifname = location->interface;
  const auto& itf = config->interface;

  if (!uapi::get(ifname)) return failf("`{}' is not a WireGuard interface", ifname);
  auto nl = net::NetlinkSocket::open();
  if (!nl) return std::unexpected(nl.error());

  // Taking DNS away must not depend on the tools being there now: without them, say so and go on.
  auto dns = plan_dns(itf, ifname, options.dns);
  if (!dns) log.raw(fmt::format("Warning: {}", dns.error().message));
  const DnsPlan dns_plan = dns ? std::move(*dns) : DnsPlan{};

  if (auto r = run_hooks("PreDown", itf.pre_down, ifname, log); !r) return r;
  if (itf.save_config)
    if (auto r = save_config(*location, *config, dns_plan, options, *nl); !r) return r;

  // del_if: the policy rules, when this interface routes a whole family through table FWMARK.
  const bool table_auto = !itf.table || itf.table->kind == uapi::RouteTable::Kind::kAuto;
  if (auto status = uapi::get(ifname); status && table_auto && status->fwmark &&
                                       routes_a_whole_family(*status))
    if (auto r = remove_default_route_rules(*nl, status->fwmark, log); !r) return r;
  log.step(fmt::format("ip link delete dev {}", ifname));
  if (auto r = net::link_delete(*nl, ifname); !r) return r;
  if (!wait_for_socket_gone(uapi::socket_path(ifname), options.tunnel_exit_timeout))
    log.raw(fmt::format("Warning: the process serving {} has not removed it",
                        uapi::socket_path(ifname)));

  // `unset_dns || true; remove_firewall || true`
  if (auto r = unset_dns(dns_plan, false, log); !r)
    log.raw(fmt::format("Warning: {}", r.error().message));
  if (auto r = remove_firewall(ifname, log); !r)
    log.raw(fmt::format("Warning: {}", r.error().message));
  return run_hooks("PostDown", itf.post_down, ifname, log);
}

}  // namespace wgd::quick
