// Test double for the UAPI tests: an in-memory interface that applies DeviceChange the way the
// kernel's set_device and wireguard-go do, all or nothing (it works on a copy and commits at
// the end). Kept faithful on purpose: the tests check wg(8)'s commands end to end through it.
//   - private_key: all zeros removes it; a peer whose key equals the new public key is dropped.
//   - replace_peers: every existing peer goes first, so listed peers start from scratch (this is
//     what the kernel and wireguard-go do; a listed peer does not keep its old preshared key).
//   - per peer, in order: remove; update_only (skip if the peer does not exist); preshared_key
//     (zeros remove it); endpoint; keepalive; replace_allowed_ips; allowed_ip (masked to the
//     prefix, and moved away from any other peer that had it, as in the allowed-IPs table).
//   - a peer with the interface's own public key is ignored.
// `busy_port` simulates a listen port another socket holds: set() then fails with EADDRINUSE.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "crypto/x25519.h"
#include "uapi/uapi_server.h"

namespace wgd::uapi::testing {

inline wg::DeviceStatus clone_status(const wg::DeviceStatus& s) {
  wg::DeviceStatus c;
  if (s.private_key) c.private_key = s.private_key->clone();
  c.public_key = s.public_key;
  c.listen_port = s.listen_port;
  c.fwmark = s.fwmark;
  for (const auto& p : s.peers) c.peers.push_back(p.clone());
  return c;
}

class FakeDevice : public UapiHandler {
 public:
  wg::DeviceStatus get() override {
    std::lock_guard lock(mu_);
    ++get_calls_;
    return clone_status(state_);
  }

  Result<void> set(wg::DeviceChange change) override {
    std::lock_guard lock(mu_);
    ++set_calls_;
    if (change.listen_port && busy_port_ && *change.listen_port == *busy_port_)
      return fail("listen port already in use", EADDRINUSE);
    wg::DeviceStatus next = clone_status(state_);
    if (change.private_key) {
      if (change.private_key->is_zero()) {
        next.private_key.reset();
        next.public_key.reset();
      } else {
        next.public_key = crypto::x25519_public(*change.private_key);
        next.private_key = change.private_key->clone();
        std::erase_if(next.peers, [&](const wg::PeerStatus& p) {
          return p.public_key == *next.public_key;
        });
      }
    }
    if (change.listen_port) next.listen_port = *change.listen_port;
    if (change.fwmark) next.fwmark = *change.fwmark;
    if (change.replace_peers) next.peers.clear();
    for (const wg::PeerChange& pc : change.peers) apply_peer(next, pc);
    state_ = std::move(next);
    return {};
  }

  wg::DeviceStatus snapshot() {
    std::lock_guard lock(mu_);
    return clone_status(state_);
  }
  // Lets a test set what only the data path would change (counters, handshake times).
  void mutate(const std::function<void(wg::DeviceStatus&)>& fn) {
    std::lock_guard lock(mu_);
    fn(state_);
  }
  void set_busy_port(std::optional<std::uint16_t> port) {
    std::lock_guard lock(mu_);
    busy_port_ = port;
  }
  int set_calls() {
    std::lock_guard lock(mu_);
    return set_calls_;
  }
  int get_calls() {
    std::lock_guard lock(mu_);
    return get_calls_;
  }

 private:
  static void apply_peer(wg::DeviceStatus& dev, const wg::PeerChange& pc) {
    if (dev.public_key && pc.public_key == *dev.public_key) return;
    auto it = std::find_if(dev.peers.begin(), dev.peers.end(),
                           [&](const wg::PeerStatus& p) { return p.public_key == pc.public_key; });
    if (pc.remove) {
      if (it != dev.peers.end()) dev.peers.erase(it);
      return;
    }
    if (it == dev.peers.end()) {
      if (pc.update_only) return;
      wg::PeerStatus fresh;
      fresh.public_key = pc.public_key;
      dev.peers.push_back(std::move(fresh));
      it = dev.peers.end() - 1;
    }
    wg::PeerStatus& peer = *it;
    if (pc.preshared_key) {
      if (pc.preshared_key->is_zero()) {
        peer.preshared_key.reset();
      } else {
        peer.preshared_key = pc.preshared_key->clone();
      }
    }
    if (pc.endpoint) peer.endpoint = *pc.endpoint;
    if (pc.persistent_keepalive) peer.persistent_keepalive = *pc.persistent_keepalive;
    if (pc.replace_allowed_ips) peer.allowed_ips.clear();
    for (const IpPrefix& raw : pc.allowed_ips) {
      IpPrefix p = raw.canonical();
      for (wg::PeerStatus& other : dev.peers)
        if (&other != &peer) std::erase(other.allowed_ips, p);
      if (std::find(peer.allowed_ips.begin(), peer.allowed_ips.end(), p) == peer.allowed_ips.end())
        peer.allowed_ips.push_back(p);
    }
  }

  std::mutex mu_;
  wg::DeviceStatus state_;
  std::optional<std::uint16_t> busy_port_;
  int set_calls_ = 0;
  int get_calls_ = 0;
};

}  // namespace wgd::uapi::testing
