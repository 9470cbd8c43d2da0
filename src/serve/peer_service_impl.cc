#include "serve/peer_service_impl.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "serve/store/store_error.h"

namespace wgd::serve {
namespace {

std::string join_prefixes(const std::vector<IpPrefix>& v) {
  std::string out;
  for (const auto& p : v) {
    if (!out.empty()) out += ", ";
    out += p.to_string();
  }
  return out;
}

std::string optional_address(const std::optional<IpAddress>& a) {
  return a ? a->to_string() : std::string("none");
}

bool same_secret(const std::optional<crypto::PresharedKey>& a, const std::optional<crypto::PresharedKey>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || std::memcmp(a->data(), b->data(), a->size()) == 0;
}

// "ipv4 10.8.0.2 -> 10.8.0.9, dns, enabled -> false": what an update changed, never a key.
std::string describe_changes(const PeerRecord& a, const PeerRecord& b) {
  std::vector<std::string> c;
  if (a.name != b.name) c.push_back(fmt::format("name {} -> {}", a.name, b.name));
  if (a.public_key != b.public_key) c.push_back("keys");
  if (!same_secret(a.preshared_key, b.preshared_key))
    c.push_back(b.preshared_key ? "preshared key" : "preshared key removed");
  if (a.ipv4 != b.ipv4) c.push_back(fmt::format("ipv4 {} -> {}", optional_address(a.ipv4), optional_address(b.ipv4)));
  if (a.ipv6 != b.ipv6) c.push_back(fmt::format("ipv6 {} -> {}", optional_address(a.ipv6), optional_address(b.ipv6)));
  if (a.extra_allowed_ips != b.extra_allowed_ips)
    c.push_back(fmt::format("routes [{}]", join_prefixes(b.extra_allowed_ips)));
  if (a.client_allowed_ips != b.client_allowed_ips) c.push_back("client allowed IPs");
  if (a.dns != b.dns) c.push_back("dns");
  if (a.persistent_keepalive != b.persistent_keepalive)
    c.push_back(fmt::format("keepalive {}", b.persistent_keepalive.value_or(0)));
  if (a.description != b.description) c.push_back("description");
  if (a.enabled != b.enabled) c.push_back(b.enabled ? "enabled" : "disabled");
  if (a.expires_at != b.expires_at) c.push_back(b.expires_at ? "expiry set" : "expiry cleared");
  if (a.managed_by != b.managed_by) c.push_back(fmt::format("managed_by {}", b.managed_by));
  if (c.empty()) return "nothing changed";
  return fmt::format("{}", fmt::join(c, ", "));
}

}  // namespace

std::string describe_addresses(const PeerRecord& r) {
  std::vector<std::string> parts;
  if (r.ipv4) parts.push_back(r.ipv4->to_string() + "/32");
  if (r.ipv6) parts.push_back(r.ipv6->to_string() + "/128");
  if (!r.extra_allowed_ips.empty()) parts.push_back("routes " + join_prefixes(r.extra_allowed_ips));
  if (parts.empty()) return "no tunnel address";
  return fmt::format("{}", fmt::join(parts, ", "));
}

PeerServiceImpl::PeerServiceImpl(Store& store, DeviceControl& device, Reconciler& reconciler,
                                 PeerServiceConfig config)
    : store_(store), device_(device), reconciler_(reconciler), config_(std::move(config)) {}

std::int64_t PeerServiceImpl::now() const {
  return config_.clock ? config_.clock() : static_cast<std::int64_t>(std::time(nullptr));
}

// --- live status ------------------------------------------------------------------------------

void PeerServiceImpl::invalidate_status() {
  std::lock_guard lock(snapshot_mu_);
  snapshot_.reset();
}

std::shared_ptr<const PeerServiceImpl::Snapshot> PeerServiceImpl::snapshot() {
  const auto fresh = [&](const std::shared_ptr<const Snapshot>& s) {
    return s && std::chrono::steady_clock::now() - s->taken < config_.status_ttl;
  };
  {
    std::lock_guard lock(snapshot_mu_);
    if (fresh(snapshot_)) return snapshot_;
  }
  // One caller reads the interface; the others wait for its answer instead of asking too.
  std::lock_guard fetch(fetch_mu_);
  {
    std::lock_guard lock(snapshot_mu_);
    if (fresh(snapshot_)) return snapshot_;
  }
  auto s = std::make_shared<Snapshot>();
  auto status = device_.get();
  if (status) {
    s->ok = true;
    s->status = std::move(*status);
    s->status.private_key.reset();
    s->index.reserve(s->status.peers.size());
    for (std::size_t i = 0; i < s->status.peers.size(); ++i)
      s->index.emplace(s->status.peers[i].public_key, i);
  } else {
    s->error = status.error().message;
  }
  s->taken = std::chrono::steady_clock::now();
  std::shared_ptr<const Snapshot> result = std::move(s);
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = result;
  return result;
}

PeerLiveStatus PeerServiceImpl::live(const Snapshot& s, const crypto::PublicKey& key) const {
  PeerLiveStatus l;
  auto it = s.index.find(key);
  if (it == s.index.end()) return l;
  const wg::PeerStatus& p = s.status.peers[it->second];
  l.on_interface = true;
  l.endpoint = p.endpoint;
  l.latest_handshake = p.last_handshake_sec;
  l.rx_bytes = p.rx_bytes;
  l.tx_bytes = p.tx_bytes;
  return l;
}

PeerView PeerServiceImpl::view(PeerRecord record, const Snapshot& s) const {
  PeerView v;
  v.live = live(s, record.public_key);
  v.record = std::move(record);
  return v;
}

// --- helpers ----------------------------------------------------------------------------------

Result<PeerRecord> PeerServiceImpl::resolve(const PeerRef& ref) {
  if (const auto* id = std::get_if<std::int64_t>(&ref)) {
    auto r = store_.get(*id);
    // A name may be all digits too ("42", a device's serial number): an id that names no peer
    // is tried as a name, and digits that are both one peer's id and another's name are
    // refused rather than guessed.
    auto by_name = store_.get_by_name(std::to_string(*id));
    if (!r && store_error_kind(r.error()) == StoreErrorKind::kNotFound && by_name) return by_name;
    if (r && by_name && by_name->id != r->id)
      return store_failf(StoreErrorKind::kConflict,
                         "'{}' is the id of peer '{}' and the name of peer {}: name the peer by "
                         "its public key",
                         *id, r->name, by_name->id);
    return r;
  }
  if (const auto* name = std::get_if<std::string>(&ref)) {
    auto r = store_.get_by_name(*name);
    if (!r && store_error_kind(r.error()) == StoreErrorKind::kNotFound)
      return store_failf(StoreErrorKind::kNotFound, "peer '{}' not found", *name);
    return r;
  }
  const auto& key = std::get<crypto::PublicKey>(ref);
  auto r = store_.get_by_public_key(key);
  if (!r && store_error_kind(r.error()) == StoreErrorKind::kNotFound)
    return store_failf(StoreErrorKind::kNotFound, "no peer has public key {}", crypto::key_to_base64(key));
  return r;
}

Result<void> PeerServiceImpl::check_not_server_key(const KeyMaterial& keys) const {
  const crypto::PublicKey& server = config_.info.public_key;
  if (keys.public_key && *keys.public_key == server)
    return store_fail(StoreErrorKind::kConflict, "public_key: is the server's own public key");
  if (keys.private_key && !keys.private_key->is_zero() &&
      crypto::x25519_public(*keys.private_key) == server)
    return store_fail(StoreErrorKind::kConflict, "private_key: is the server's own private key");
  return {};
}

void PeerServiceImpl::settle(std::int64_t changed_peer) {
  invalidate_status();
  const auto ticket = reconciler_.request(changed_peer);
  if (!reconciler_.wait(ticket, config_.reconcile_wait))
    spdlog::warn("the interface has not taken the change within {} ms; it will follow",
                 config_.reconcile_wait.count());
  invalidate_status();
}

// --- operations -------------------------------------------------------------------------------

Result<PeerView> PeerServiceImpl::create(NewPeer spec) {
  if (auto ok = check_not_server_key(spec.keys); !ok) return std::unexpected(ok.error());
  auto r = store_.create(spec, config_.pool);
  if (!r) return std::unexpected(r.error());
  spdlog::info("peer {} (id {}) created: {}{}{}", r->name, r->id, describe_addresses(*r),
               r->enabled ? "" : ", disabled", r->expires_at ? ", with expiry" : "");
  settle(r->id);
  return view(std::move(*r), *snapshot());
}

Result<PeerListView> PeerServiceImpl::list(const PeerFilter& filter) {
  auto page = store_.list(filter);
  if (!page) return std::unexpected(page.error());
  auto s = snapshot();
  PeerListView out;
  out.total = page->total;
  out.peers.reserve(page->peers.size());
  for (auto& r : page->peers) out.peers.push_back(view(std::move(r), *s));
  return out;
}

Result<PeerView> PeerServiceImpl::get(const PeerRef& ref) {
  auto r = resolve(ref);
  if (!r) return std::unexpected(r.error());
  return view(std::move(*r), *snapshot());
}

Result<PeerView> PeerServiceImpl::update(const PeerRef& ref, const PeerUpdate& update) {
  auto old = resolve(ref);
  if (!old) return std::unexpected(old.error());
  if (update.keys)
    if (auto ok = check_not_server_key(*update.keys); !ok) return std::unexpected(ok.error());
  auto r = store_.update(old->id, update, config_.pool);
  if (!r) return std::unexpected(r.error());
  spdlog::info("peer {} (id {}) updated: {}", old->name, old->id, describe_changes(*old, *r));
  settle(r->id);
  return view(std::move(*r), *snapshot());
}

Result<void> PeerServiceImpl::remove(const PeerRef& ref) {
  auto old = resolve(ref);
  if (!old) return std::unexpected(old.error());
  if (auto ok = store_.remove(old->id); !ok) return ok;
  spdlog::info("peer {} (id {}) deleted: {} freed", old->name, old->id, describe_addresses(*old));
  settle(old->id);
  return {};
}

Result<PeerView> PeerServiceImpl::set_enabled(const PeerRef& ref, bool enabled) {
  auto old = resolve(ref);
  if (!old) return std::unexpected(old.error());
  if (old->enabled == enabled) {
    spdlog::debug("peer {} (id {}) is already {}", old->name, old->id, enabled ? "enabled" : "disabled");
    return view(std::move(*old), *snapshot());
  }
  PeerUpdate u;
  u.enabled = enabled;
  auto r = store_.update(old->id, u, config_.pool);
  if (!r) return std::unexpected(r.error());
  spdlog::info("peer {} (id {}) {}", r->name, r->id, enabled ? "enabled" : "disabled");
  settle(r->id);
  return view(std::move(*r), *snapshot());
}

Result<std::string> PeerServiceImpl::client_config(const PeerRef& ref) {
  auto r = resolve(ref);
  if (!r) return std::unexpected(r.error());
  return render_client_config(*r, config_.client);
}

ServerInfo PeerServiceImpl::server_info() { return config_.info; }

Result<ServerStatus> PeerServiceImpl::status() {
  ServerStatus st;
  st.server = config_.info;
  auto all = store_.list(PeerFilter{.limit = 1});
  if (!all) return std::unexpected(all.error());
  st.peers_total = all->total;
  auto enabled = store_.list(PeerFilter{.enabled = true, .limit = 1});
  if (!enabled) return std::unexpected(enabled.error());
  st.peers_enabled = enabled->total;
  // "Active" depends on each peer's expiry: the reconciler has just counted them (it runs at
  // every change and at every expiry), which spares reading every peer here.
  st.peers_active = static_cast<std::int64_t>(reconciler_.stats().active_peers);
  const std::int64_t t = now();
  auto s = snapshot();
  st.interface_up = s->ok;
  for (const auto& p : s->status.peers) {
    st.rx_bytes += p.rx_bytes;
    st.tx_bytes += p.tx_bytes;
    if (p.last_handshake_sec != 0 && t - p.last_handshake_sec < 180) ++st.peers_connected;
  }
  return st;
}

Result<wg::DeviceStatus> PeerServiceImpl::interface_status() {
  auto s = snapshot();
  if (!s->ok) return fail("interface " + config_.info.interface + ": " + s->error, EIO);
  wg::DeviceStatus out;
  out.public_key = s->status.public_key;
  out.listen_port = s->status.listen_port;
  out.fwmark = s->status.fwmark;
  out.peers.reserve(s->status.peers.size());
  for (const auto& p : s->status.peers) out.peers.push_back(p.clone());
  return out;
}

}  // namespace wgd::serve
