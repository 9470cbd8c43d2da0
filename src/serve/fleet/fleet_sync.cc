#include "serve/fleet/fleet_sync.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <ctime>

#include "serve/fleet/registry_document.h"

namespace wgd::serve::fleet {
namespace {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

FleetSync::FleetSync(PeerService& service, FleetSettings settings, FleetServer server,
                     std::string hosts_path, FetchOptions fetch)
    : service_(service), settings_(std::move(settings)), server_(std::move(server)),
      subnet_(TunnelSubnet::from_interface_address(server_.ipv4_address)), fetch_(fetch) {
  status_.registry = settings_.registry_shown();
  status_.factory = settings_.name;
  status_.interval = settings_.interval;
  if (!hosts_path.empty()) {
    // An empty domain: "10.42.42.2 gateway-17", as factory-wireguard.py writes its lines.
    auto h = HostsFile::create(hosts_path, HostsBlockMarkers::for_factory(settings_.name), "");
    if (h)
      hosts_.emplace(std::move(*h));
    else
      spdlog::error("fleet {}: hosts file {}: {}; devices get no names there", settings_.name, hosts_path,
                    h.error().message);
  }
}

FleetSync::~FleetSync() { stop(); }

bool is_registry_failure(const Error& e) { return e.code == 0; }

Result<std::vector<PeerView>> FleetSync::devices() {
  PeerFilter filter;
  filter.managed_by = settings_.managed_by();
  auto page = service_.list(filter);
  if (!page) return std::unexpected(page.error());
  return std::move(page->peers);
}

Result<SyncResult> FleetSync::poll() {
  auto body = fetch_registry(settings_, fetch_);
  if (!body) return std::unexpected(body.error());
  auto listed = parse_registry(*body, server_.public_key);
  if (!listed) return std::unexpected(listed.error().context("registry answer rejected"));

  auto current = devices();
  if (!current) {
    // This server's fault, not the registry's: the error keeps an errno (see
    // is_registry_failure).
    Error e = current.error().context("reading this factory's peers from the store");
    if (e.code == 0) e.code = EIO;
    return std::unexpected(std::move(e));
  }
  std::vector<FleetPeer> peers;
  peers.reserve(current->size());
  for (const auto& v : *current) {
    const PeerRecord& r = v.record;
    peers.push_back({r.id, r.name, r.public_key, r.ipv4, r.extra_allowed_ips, r.enabled});
  }
  auto plan = plan_fleet(*listed, peers, subnet_);
  if (!plan) return std::unexpected(plan.error().context("registry answer rejected"));

  SyncResult result;
  result.devices = listed->size();
  result.unchanged = plan->unchanged;
  apply(*plan, result);
  update_hosts();
  return result;
}

void FleetSync::apply(FleetPlan& plan, SyncResult& result) {
  const auto failed = [&](const std::string& name, const Error& e) {
    result.errors.push_back(fmt::format("{}: {}", name, e.message));
    spdlog::error("fleet {}: device {}: {}", settings_.name, name, e.message);
  };
  for (const std::int64_t id : plan.release_first) {
    PeerUpdate u;
    u.ipv4 = AddressRequest::none();
    if (auto ok = service_.update(PeerRef(id), u); !ok) failed("#" + std::to_string(id), ok.error());
  }
  for (auto& c : plan.changes) {
    spdlog::debug("fleet {}: {} {}: {}", settings_.name,
                  c.kind == FleetChange::Kind::kCreate ? "create" : c.kind == FleetChange::Kind::kUpdate ? "update" : "remove",
                  c.name, c.reason);
    switch (c.kind) {
      case FleetChange::Kind::kRemove:
        if (auto ok = service_.remove(PeerRef(c.id)); !ok) failed(c.name, ok.error());
        else ++result.removed;
        break;
      case FleetChange::Kind::kUpdate:
        if (auto ok = service_.update(PeerRef(c.id), to_update(c)); !ok) failed(c.name, ok.error());
        else ++result.updated;
        break;
      case FleetChange::Kind::kCreate:
        if (auto ok = service_.create(to_new_peer(c, settings_.managed_by(), settings_.name)); !ok)
          failed(c.name, ok.error());
        else ++result.created;
        break;
    }
  }
}

// The enabled devices by name, at the address they use now: the registry's own while it still
// has the one from before a server move (routed as an extra /32), else the peer's address.
void FleetSync::update_hosts() {
  if (!hosts_) return;
  auto current = devices();
  if (!current) {
    spdlog::error("fleet {}: hosts block not updated: {}", settings_.name, current.error().message);
    return;
  }
  std::vector<HostsPeer> listed;
  for (const auto& v : *current) {
    const PeerRecord& r = v.record;
    if (!r.enabled) continue;
    HostsPeer h{r.name, {}};
    for (const auto& route : r.extra_allowed_ips)
      if (route.address.is_v4() && route.length == 32) h.addresses.push_back(route.address);
    if (h.addresses.empty() && r.ipv4) h.addresses.push_back(*r.ipv4);
    listed.push_back(std::move(h));
  }
  if (auto ok = hosts_->update(listed); !ok)
    spdlog::error("fleet {}: hosts block: {}", settings_.name, ok.error().message);
}

Result<SyncResult> FleetSync::sync_once() {
  std::lock_guard sync(sync_mu_);
  const std::int64_t started = unix_now();
  auto result = poll();
  std::lock_guard lock(mu_);
  ++status_.polls;
  status_.last_attempt = started;
  if (!result) {
    ++status_.failures;
    ++status_.consecutive_failures;
    // Once per distinct error, not at every poll while the registry stays down.
    if (status_.last_error != result.error().message)
      spdlog::error("fleet {}: {}; peers left as they were (retrying every {} s)", settings_.name,
                    result.error().message, settings_.interval.count());
    else
      spdlog::debug("fleet {}: still failing: {}", settings_.name, result.error().message);
    status_.last_error = result.error().message;
    return result;
  }
  if (status_.last_error)
    spdlog::info("fleet {}: registry answers again ({} devices)", settings_.name, result->devices);
  status_.consecutive_failures = 0;
  status_.last_error.reset();
  status_.last_success = started;
  if (result->created || result->updated || result->removed || !result->errors.empty() ||
      !status_.last_result)
    spdlog::info("fleet {}: {} devices in the registry: {} created, {} updated, {} removed, {} "
                 "unchanged{}",
                 settings_.name, result->devices, result->created, result->updated, result->removed,
                 result->unchanged,
                 result->errors.empty() ? std::string() : fmt::format(", {} failed", result->errors.size()));
  status_.last_result = *result;
  return result;
}

void FleetSync::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
  spdlog::info("fleet {}: following {} every {} s (peers managed_by {})", settings_.name,
               settings_.registry_shown(), settings_.interval.count(), settings_.managed_by());
}

void FleetSync::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    (void)sync_once();
    lock.lock();
    wake_.wait_for(lock, settings_.interval, [this] { return stopping_ || poked_; });
    poked_ = false;
  }
}

void FleetSync::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  wake_.notify_all();
}

void FleetSync::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

FleetStatus FleetSync::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace wgd::serve::fleet
