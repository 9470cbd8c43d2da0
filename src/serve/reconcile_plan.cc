#include "serve/reconcile_plan.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "crypto/key_codec.h"

namespace wgd::serve {
namespace {

std::vector<IpPrefix> sorted(std::vector<IpPrefix> v) {
  for (auto& p : v) p = p.canonical();
  std::ranges::sort(v);
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool same_psk(const std::optional<crypto::PresharedKey>& want, const std::optional<crypto::PresharedKey>& have) {
  const bool want_any = want && !want->is_zero();
  const bool have_any = have && !have->is_zero();
  if (want_any != have_any) return false;
  return !want_any || std::memcmp(want->data(), have->data(), want->size()) == 0;
}

// Why the interface's peer differs from the store's, or empty if it does not.
std::string difference(const PeerIntent& want, const wg::PeerStatus& have) {
  std::vector<std::string_view> what;
  // Usually identical, in the same order: only then is sorting (and allocating) skipped.
  if (want.allowed_ips != have.allowed_ips && sorted(want.allowed_ips) != sorted(have.allowed_ips))
    what.push_back("allowed IPs");
  if (!same_psk(want.preshared_key, have.preshared_key)) what.push_back("preshared key");
  if (want.persistent_keepalive != have.persistent_keepalive) what.push_back("persistent keepalive");
  if (what.empty()) return {};
  return fmt::format("{} differ{}", fmt::join(what, ", "), what.size() == 1 ? "s" : "");
}

wg::PeerChange upsert(const PeerIntent& p, bool update_only) {
  wg::PeerChange c;
  c.public_key = p.public_key;
  c.update_only = update_only;
  // An all-zero key removes a preshared key the interface has and the store does not.
  c.preshared_key = p.preshared_key ? p.preshared_key->clone() : crypto::PresharedKey{};
  if (p.persistent_keepalive != 0 || update_only) c.persistent_keepalive = p.persistent_keepalive;
  c.replace_allowed_ips = true;
  c.allowed_ips = p.allowed_ips;
  return c;
}

}  // namespace

PeerIntent PeerIntent::from_record(const PeerRecord& r) {
  PeerIntent p;
  p.id = r.id;
  p.name = r.name;
  p.public_key = r.public_key;
  if (r.preshared_key) p.preshared_key = r.preshared_key->clone();
  p.persistent_keepalive = r.persistent_keepalive.value_or(0);
  p.allowed_ips = r.server_allowed_ips();
  p.extra_allowed_ips = r.extra_allowed_ips;
  p.ipv4 = r.ipv4;
  p.ipv6 = r.ipv6;
  p.enabled = r.enabled;
  p.expires_at = r.expires_at;
  p.managed_by = r.managed_by;
  return p;
}

PeerIntent PeerIntent::clone() const {
  PeerIntent p;
  p.id = id;
  p.name = name;
  p.public_key = public_key;
  if (preshared_key) p.preshared_key = preshared_key->clone();
  p.persistent_keepalive = persistent_keepalive;
  p.allowed_ips = allowed_ips;
  p.extra_allowed_ips = extra_allowed_ips;
  p.ipv4 = ipv4;
  p.ipv6 = ipv6;
  p.enabled = enabled;
  p.expires_at = expires_at;
  p.managed_by = managed_by;
  return p;
}

ReconcilePlan plan_reconcile(std::span<const PeerIntent> intents, const wg::DeviceStatus& actual,
                             std::int64_t now, const crypto::PublicKey& server_key,
                             const EndpointMemory* endpoints) {
  std::unordered_map<crypto::PublicKey, const PeerIntent*, PublicKeyHash> stored;
  stored.reserve(intents.size());
  for (const auto& p : intents) stored.emplace(p.public_key, &p);
  std::unordered_map<crypto::PublicKey, const wg::PeerStatus*, PublicKeyHash> present;
  present.reserve(actual.peers.size());
  for (const auto& p : actual.peers) present.emplace(p.public_key, &p);

  const auto wanted = [&](const PeerIntent& p) {
    return p.active_at(now) && p.public_key != server_key;
  };

  std::vector<PlannedAction> removes, updates, adds;
  for (const auto& have : actual.peers) {
    auto it = stored.find(have.public_key);
    if (it == stored.end()) {
      removes.push_back({PlannedAction::Kind::kRemove, have.public_key, nullptr, "not in the store"});
    } else if (!wanted(*it->second)) {
      const PeerIntent& p = *it->second;
      std::string reason = !p.enabled                 ? "disabled"
                           : p.public_key == server_key ? "has the server's own key"
                                                        : "expired";
      removes.push_back({PlannedAction::Kind::kRemove, have.public_key, &p, std::move(reason), have.endpoint});
    }
  }
  for (const auto& p : intents) {
    if (!wanted(p)) continue;
    auto it = present.find(p.public_key);
    if (it == present.end()) {
      adds.push_back({PlannedAction::Kind::kAdd, p.public_key, &p, "missing"});
    } else if (auto why = difference(p, *it->second); !why.empty()) {
      updates.push_back({PlannedAction::Kind::kUpdate, p.public_key, &p, std::move(why)});
    }
  }

  ReconcilePlan plan;
  // Removes first: an allowed IP leaving a removed peer is then free for the peer that gets it.
  for (auto* group : {&removes, &updates, &adds}) {
    for (auto& a : *group) {
      if (a.kind == PlannedAction::Kind::kRemove) {
        wg::PeerChange c;
        c.public_key = a.public_key;
        c.remove = true;
        plan.change.peers.push_back(std::move(c));
      } else {
        plan.change.peers.push_back(upsert(*a.peer, a.kind == PlannedAction::Kind::kUpdate));
        if (a.kind == PlannedAction::Kind::kAdd && endpoints) {
          if (auto it = endpoints->find(a.public_key); it != endpoints->end())
            plan.change.peers.back().endpoint = it->second;
        }
      }
      plan.actions.push_back(std::move(a));
    }
  }
  return plan;
}

std::optional<std::int64_t> next_expiry(std::span<const PeerIntent> intents, std::int64_t now) {
  std::optional<std::int64_t> next;
  for (const auto& p : intents)
    if (p.enabled && p.expires_at && *p.expires_at > now && (!next || *p.expires_at < *next))
      next = p.expires_at;
  return next;
}

std::vector<IpPrefix> wanted_routes(std::span<const PeerIntent> intents, std::int64_t now,
                                    const crypto::PublicKey& server_key) {
  std::vector<IpPrefix> routes;
  for (const auto& p : intents)
    if (p.active_at(now) && p.public_key != server_key)
      routes.insert(routes.end(), p.extra_allowed_ips.begin(), p.extra_allowed_ips.end());
  return sorted(std::move(routes));
}

std::string describe_action_peer(const PlannedAction& a) {
  if (a.peer) return fmt::format("{} (id {})", a.peer->name, a.peer->id);
  return crypto::key_to_base64(a.public_key).substr(0, 8) + "...";
}

}  // namespace wgd::serve
