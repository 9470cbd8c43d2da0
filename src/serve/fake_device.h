// Tests: an interface in memory that applies change sets with the semantics of UAPI set=1
// (and of wg::Device): peers upserted or removed, all-zero preshared key removes it, replaced
// or added allowed IPs, each allowed IP on one peer only. It counts what it was asked to do,
// can be told to refuse, and can be changed behind the reconciler's back like `wg set` does.
#pragma once

#include <algorithm>
#include <cerrno>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "crypto/x25519.h"
#include "serve/device_control.h"

namespace wgd::serve::testing {

class FakeDevice final : public DeviceControl {
 public:
  std::string describe() const override { return "fake interface"; }

  Result<wg::DeviceStatus> get() override {
    std::lock_guard lock(mu_);
    ++gets_;
    if (fail_get_) return fail("fake interface: get refused", EIO);
    return copy_locked();
  }

  Result<void> set(wg::DeviceChange change) override {
    std::lock_guard lock(mu_);
    ++sets_;
    if (change.replace_peers) ++replace_peers_;
    for (const auto& p : change.peers)
      if (refuse_ && refuse_(p)) return fail("fake interface: peer refused", EINVAL);
    if (change.private_key) status_.public_key = crypto::x25519_public(*change.private_key);
    if (change.listen_port) status_.listen_port = *change.listen_port;
    if (change.replace_peers) status_.peers.clear();
    for (auto& p : change.peers) {
      peer_changes_.push_back(p.remove ? 'r' : p.update_only ? 'u' : 'a');
      apply_locked(p);
    }
    return {};
  }

  bool manages_routes() const override { return true; }
  Result<void> set_routes(const std::vector<IpPrefix>& routes) override {
    std::lock_guard lock(mu_);
    routes_ = routes;
    return {};
  }

  // What `wg set` by hand would do: change the state directly.
  void edit(const std::function<void(wg::DeviceStatus&)>& fn) {
    std::lock_guard lock(mu_);
    fn(status_);
  }
  std::optional<wg::PeerStatus> peer(const crypto::PublicKey& key) const {
    std::lock_guard lock(mu_);
    for (const auto& p : status_.peers)
      if (p.public_key == key) return p.clone();
    return std::nullopt;
  }
  std::size_t peer_count() const {
    std::lock_guard lock(mu_);
    return status_.peers.size();
  }
  int sets() const {
    std::lock_guard lock(mu_);
    return sets_;
  }
  int gets() const {
    std::lock_guard lock(mu_);
    return gets_;
  }
  int replace_peers_count() const {
    std::lock_guard lock(mu_);
    return replace_peers_;
  }
  // 'a' add/upsert, 'u' update-only, 'r' remove, in the order applied.
  std::string peer_changes() const {
    std::lock_guard lock(mu_);
    return peer_changes_;
  }
  void clear_counters() {
    std::lock_guard lock(mu_);
    sets_ = gets_ = replace_peers_ = 0;
    peer_changes_.clear();
  }
  std::vector<IpPrefix> routes() const {
    std::lock_guard lock(mu_);
    return routes_;
  }
  void set_fail_get(bool f) {
    std::lock_guard lock(mu_);
    fail_get_ = f;
  }
  void set_refuse(std::function<bool(const wg::PeerChange&)> f) {
    std::lock_guard lock(mu_);
    refuse_ = std::move(f);
  }

 private:
  wg::DeviceStatus copy_locked() const {
    wg::DeviceStatus s;
    s.listen_port = status_.listen_port;
    s.public_key = status_.public_key;
    for (const auto& p : status_.peers) s.peers.push_back(p.clone());
    return s;
  }

  void apply_locked(const wg::PeerChange& c) {
    auto it = std::ranges::find_if(status_.peers, [&](const auto& p) { return p.public_key == c.public_key; });
    if (c.remove) {
      if (it != status_.peers.end()) status_.peers.erase(it);
      return;
    }
    if (it == status_.peers.end()) {
      if (c.update_only) return;
      wg::PeerStatus fresh;
      fresh.public_key = c.public_key;
      status_.peers.push_back(std::move(fresh));
      it = status_.peers.end() - 1;
    }
    if (c.preshared_key) {
      if (c.preshared_key->is_zero())
        it->preshared_key.reset();
      else
        it->preshared_key = c.preshared_key->clone();
    }
    if (c.endpoint) it->endpoint = c.endpoint;
    if (c.persistent_keepalive) it->persistent_keepalive = *c.persistent_keepalive;
    if (c.replace_allowed_ips) it->allowed_ips.clear();
    for (const auto& ip : c.allowed_ips) {
      const IpPrefix canon = ip.canonical();
      for (auto& other : status_.peers) std::erase(other.allowed_ips, canon);
      it->allowed_ips.push_back(canon);
    }
  }

  mutable std::mutex mu_;
  wg::DeviceStatus status_;
  bool fail_get_ = false;
  std::function<bool(const wg::PeerChange&)> refuse_;
  int sets_ = 0, gets_ = 0, replace_peers_ = 0;
  std::string peer_changes_;
  std::vector<IpPrefix> routes_;
};

}  // namespace wgd::serve::testing
