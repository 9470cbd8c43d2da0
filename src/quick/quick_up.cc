// `wgd up`: wg-quick's cmd_up (see quick.h), everything resolved before the first change.
#include <cerrno>
#include <optional>

#include "net/address.h"
#include "net/free_table.h"
#include "net/link.h"
#include "net/route.h"
#include "net/sysctl.h"
#include "quick/firewall.h"
#include "quick/hooks.h"
#include "quick/interruption.h"
#include "quick/mtu.h"
#include "quick/policy_rules.h"
#include "quick/quick.h"
#include "quick/rollback.h"
#include "uapi/showconf.h"
#include "uapi/uapi_client.h"
#include "uapi/uapi_paths.h"
#include "uapi/wg_quick_device.h"

namespace wgd::quick {
namespace {

// Table = ... as the route steps need it.
struct TablePlan {
  enum class Kind : std::uint8_t { kAuto, kOff, kFixed };
  Kind kind = Kind::kAuto;
  std::uint32_t id = 0;  // kFixed
  std::string text;      // kFixed: as written ("1234", "vpn"), for the printed command
};

// Everything `up` needs, worked out before anything is created.
struct UpPlan {
  ConfigLocation location;
  uapi::WgQuickConfig config;
  wg::DeviceChange change;  // endpoints resolved
  std::vector<Endpoint> endpoints;
  TablePlan table;
  DnsPlan dns;
  std::optional<FirewallPlan> firewall;  // only with a default route and Table = auto
};

Result<UpPlan> prepare(std::string_view file_or_name, const QuickOptions& options,
                       net::NetlinkSocket& nl) {
  UpPlan plan;
  auto location = locate_config(file_or_name, options.config_dir);
  if (!location) return std::unexpected(location.error());
  plan.location = std::move(*location);
  if (auto warning = world_accessible_warning(plan.location.path)) options.log.raw(*warning);
  auto config = read_config(plan.location);
  if (!config) return std::unexpected(config.error());
  plan.config = std::move(*config);
  const std::string& ifname = plan.location.interface;

  // cmd_up's first check.
  if (auto link = net::link_get(nl, ifname); link)
    return failf("`{}' already exists", ifname);
  else if (link.error().code != ENODEV)
    return std::unexpected(link.error());

  auto resolve_options = uapi::resolve_options_from_environment();
  if (!resolve_options) return std::unexpected(resolve_options.error());
  resolve_options->on_retry = [&](const Error& e, std::chrono::microseconds delay) {
    // wg's words while it waits for a name to resolve.
    options.log.raw(fmt::format("{}. Trying again in {:.2f} seconds...", e.message,
                                static_cast<double>(delay.count()) / 1e6));
  };
  auto change = uapi::to_device_change(plan.config, [&](std::string_view host_port) {
    return uapi::resolve_endpoint(host_port, *resolve_options);
  });
  if (!change) return std::unexpected(change.error().context(plan.location.path));
  plan.change = std::move(*change);
  for (const auto& p : plan.change.peers)
    if (p.endpoint) plan.endpoints.push_back(*p.endpoint);

  const auto table = plan.config.interface.table.value_or(uapi::RouteTable{});
  switch (table.kind) {
    case uapi::RouteTable::Kind::kAuto:
      plan.table.kind = TablePlan::Kind::kAuto;
      break;
    case uapi::RouteTable::Kind::kOff:
      plan.table.kind = TablePlan::Kind::kOff;
      break;
    default: {
      auto id = table_id(table, options.rt_tables_dirs);
      if (!id) return std::unexpected(id.error().context(plan.location.path));
      plan.table = {TablePlan::Kind::kFixed, *id, table.to_string()};
    }
  }

  auto dns = plan_dns(plan.config.interface, ifname, options.dns);
  if (!dns) return std::unexpected(dns.error().context(plan.location.path));
  plan.dns = std::move(*dns);

  bool default_route = false;
  for (const auto& p : plan.config.peers)
    for (const auto& a : p.allowed_ips) default_route = default_route || a.length == 0;
  if (default_route && plan.table.kind == TablePlan::Kind::kAuto) {
    auto fw = plan_firewall();
    if (!fw) return std::unexpected(fw.error().context(plan.location.path));
    plan.firewall = *fw;
  }
  return plan;
}

// The steps of cmd_up after the interface exists; `rollback` collects how to undo each.
class Bringup {
 public:
  Bringup(const UpPlan& plan, const QuickOptions& options, net::NetlinkSocket& nl,
          Rollback& rollback, const Interruption& interruption)
      : plan_(plan),
        options_(options),
        log_(options.log),
        nl_(nl),
        rollback_(rollback),
        interruption_(interruption),
        ifname_(plan.location.interface) {}

  Result<void> run() {
    if (auto r = create_interface(); !r) return r;
    if (auto r = step(run_hooks("PreUp", plan_.config.interface.pre_up, ifname_, log_)); !r)
      return r;
    if (auto r = step(set_config()); !r) return r;
    for (const auto& a : plan_.config.interface.addresses)
      if (auto r = step(add_address(a)); !r) return r;
    if (auto r = step(set_mtu_up()); !r) return r;
    if (auto r = step(set_dns_step()); !r) return r;
    auto status = uapi::get(ifname_);
    if (!status) return std::unexpected(status.error().context(ifname_));
    fwmark_ = status->fwmark;
    for (const auto& prefix : allowed_ips_in_route_order(*status))
      if (auto r = step(add_route(prefix)); !r) return r;
    return step(run_hooks("PostUp", plan_.config.interface.post_up, ifname_, log_));
  }

 private:
  Result<void> step(Result<void> r) {
    if (!r) return r;
    return interruption_.check();
  }

  Result<void> create_interface() {
    if (auto r = start_tunnel(options_.tunnel, ifname_, log_); !r) return r;
    rollback_.add("the interface", [this] { return delete_interface(); });
    auto index = net::link_index(nl_, ifname_);
    if (!index) return std::unexpected(index.error());
    ifindex_ = *index;
    return interruption_.check();
  }

  Result<void> delete_interface() {
    log_.step(fmt::format("ip link delete dev {}", ifname_));
    auto r = net::link_delete(nl_, ifname_);
    if (!r && r.error().code != ENODEV) return r;
    if (!wait_for_socket_gone(uapi::socket_path(ifname_), options_.tunnel_exit_timeout))
      return failf("the tunnel process for {} did not remove {}", ifname_,
                   uapi::socket_path(ifname_));
    return {};
  }

  Result<void> set_config() {
    log_.step(fmt::format("wg setconf {} <(wgd strip {})", ifname_, plan_.location.path));
    wg::DeviceChange change = copy_change(plan_.change);
    if (auto r = uapi::set(ifname_, change); !r) return std::unexpected(r.error().context(ifname_));
    return {};
  }

  static wg::DeviceChange copy_change(const wg::DeviceChange& c) {
    wg::DeviceChange out;
    if (c.private_key) out.private_key = c.private_key->clone();
    out.listen_port = c.listen_port;
    out.fwmark = c.fwmark;
    out.replace_peers = c.replace_peers;
    for (const auto& p : c.peers) {
      wg::PeerChange q;
      q.public_key = p.public_key;
      q.remove = p.remove;
      q.update_only = p.update_only;
      if (p.preshared_key) q.preshared_key = p.preshared_key->clone();
      q.endpoint = p.endpoint;
      q.persistent_keepalive = p.persistent_keepalive;
      q.replace_allowed_ips = p.replace_allowed_ips;
      q.allowed_ips = p.allowed_ips;
      out.peers.push_back(std::move(q));
    }
    return out;
  }

  Result<void> add_address(const IpPrefix& a) {
    log_.step(fmt::format("ip {} address add {} dev {}", family_flag(a.address.family()),
                          a.to_string(), ifname_));
    // wg-quick does not ask for nodad; our TUN is IFF_NOARP, so the kernel skips DAD anyway.
    return net::address_add(nl_, ifname_, a, {.skip_dad = false});
  }

  Result<void> set_mtu_up() {
    std::uint32_t mtu = 0;
    if (plan_.config.interface.mtu) {
      mtu = *plan_.config.interface.mtu;
    } else {
      auto m = automatic_mtu(nl_, plan_.endpoints);
      if (!m) return std::unexpected(m.error());
      mtu = *m;
    }
    log_.step(fmt::format("ip link set mtu {} up dev {}", mtu, ifname_));
    if (auto r = net::link_set_mtu(nl_, ifname_, mtu); !r) return r;
    return net::link_set_up(nl_, ifname_, true);
  }

  Result<void> set_dns_step() {
    if (plan_.dns.backend == DnsPlan::Backend::kNone) return {};
    if (auto r = set_dns(plan_.dns, log_); !r) return r;
    rollback_.add("DNS", [this] { return unset_dns(plan_.dns, true, log_); });
    return {};
  }

  Result<void> add_route(const IpPrefix& prefix) {
    const auto flag = family_flag(prefix.address.family());
    const std::string text = uapi::format_prefix(prefix);
    switch (plan_.table.kind) {
      case TablePlan::Kind::kOff:
        return {};
      case TablePlan::Kind::kFixed:
        log_.step(fmt::format("ip {} route add {} dev {} table {}", flag, text, ifname_,
                              plan_.table.text));
        return net::route_add(nl_, {.destination = prefix, .oif = ifindex_,
                                    .table = plan_.table.id, .metric = std::nullopt});
      case TablePlan::Kind::kAuto:
        break;
    }
    if (prefix.length == 0) return add_default(prefix);
    auto covered = net::has_route_covering(nl_, prefix, ifindex_);
    if (!covered) return std::unexpected(covered.error());
    if (*covered) return {};
    log_.step(fmt::format("ip {} route add {} dev {}", flag, text, ifname_));
    return net::route_add(nl_, {.destination = prefix, .oif = ifindex_, .table = net::kTableMain,
                                .metric = std::nullopt});
  }

  // wg-quick's add_default.
  Result<void> add_default(const IpPrefix& prefix) {
    const auto family = prefix.address.family();
    if (!fwmark_) {
      auto table = net::find_free_table(nl_);
      if (!table) return std::unexpected(table.error());
      log_.step(fmt::format("wg set {} fwmark {}", ifname_, *table));
      wg::DeviceChange mark;
      mark.fwmark = *table;
      if (auto r = uapi::set(ifname_, mark); !r) return std::unexpected(r.error().context(ifname_));
      fwmark_ = *table;
    }
    const std::uint32_t table = fwmark_;
    if (!rules_registered_) {
      rollback_.add("the policy rules",
                    [this, table] { return remove_default_route_rules(nl_, table, log_); });
      rules_registered_ = true;
    }
    if (auto r = add_default_route_rules(nl_, family, table, log_); !r) return r;
    log_.step(fmt::format("ip {} route add {} dev {} table {}", family_flag(family),
                          uapi::format_prefix(prefix), ifname_, table));
    if (auto r = net::route_add(nl_, {.destination = prefix, .oif = ifindex_, .table = table,
                                      .metric = std::nullopt});
        !r)
      return r;

    net::AddressFilter filter;
    filter.link.emplace(ifindex_);
    filter.family = family;
    auto addresses = net::address_list(nl_, filter);
    if (!addresses) return std::unexpected(addresses.error());
    std::vector<IpAddress> local;
    for (const auto& a : *addresses) local.push_back(a.prefix.address);

    if (family == IpAddress::Family::kV4) {
      constexpr std::string_view kKey = "net.ipv4.conf.all.src_valid_mark";
      auto value = net::sysctl_read(kKey);
      if (!value || *value != "1") {
        log_.step(fmt::format("sysctl -q {}=1", kKey));
        if (auto r = net::sysctl_write(kKey, "1"); !r) return r;
      }
    }
    if (!firewall_registered_) {
      rollback_.add("the firewall rules", [this] { return remove_firewall(ifname_, log_); });
      firewall_registered_ = true;
    }
    return add_default_route_firewall(*plan_.firewall, ifname_, family, table, local, log_);
  }

  const UpPlan& plan_;
  const QuickOptions& options_;
  const StepLog& log_;
  net::NetlinkSocket& nl_;
  Rollback& rollback_;
  const Interruption& interruption_;
  const std::string& ifname_;
  int ifindex_ = 0;
  std::uint32_t fwmark_ = 0;
  bool rules_registered_ = false;
  bool firewall_registered_ = false;
};

}  // namespace

Result<void> quick_up(std::string_view file_or_name, const QuickOptions& options) {
  auto nl = net::NetlinkSocket::open();
  if (!nl) return std::unexpected(nl.error());
  auto plan = prepare(file_or_name, options, *nl);
  if (!plan) return std::unexpected(plan.error());

  Interruption interruption;
  Rollback rollback(options.log);
  Bringup bringup(*plan, options, *nl, rollback, interruption);
  if (auto r = bringup.run(); !r) {
    rollback.run();
    return r;
  }
  rollback.commit();
  return {};
}

}  // namespace wgd::quick
