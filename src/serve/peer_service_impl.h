// The PeerService over a Store, an interface (DeviceControl) and the Reconciler: validation
// and defaults happen in the store (peer_validation.h), this class adds what concerns the
// server as a whole: the server's own key is never a peer's, one log line per change, the
// reconciler hand-off, and the live status merged from the interface.
//
// Every mutation returns after the store committed it and, normally, after the reconciler's
// next pass has put it on the interface (it waits up to `reconcile_wait`, so that `wg show`
// right after an API call shows the change); the interface's status is cached for
// `status_ttl` so that reads under load do not each ask the interface.
#pragma once

#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "serve/client_config.h"
#include "serve/device_control.h"
#include "serve/peer_service.h"
#include "serve/reconcile_plan.h"
#include "serve/reconciler.h"
#include "serve/store/store.h"

namespace wgd::serve {

// The error code of client_config() for a peer whose private key only the client has
// (REST: 409 no_private_key).
inline constexpr int kNoPrivateKeyErrno = ENOKEY;

struct PeerServiceConfig {
  ServerInfo info;
  AddressPool pool;
  ClientConfigDefaults client;
  std::chrono::milliseconds status_ttl{1000};
  std::chrono::milliseconds reconcile_wait{2000};
  std::function<std::int64_t()> clock;  // Unix seconds; default: the system clock
};

class PeerServiceImpl final : public PeerService {
 public:
  PeerServiceImpl(Store& store, DeviceControl& device, Reconciler& reconciler,
                  PeerServiceConfig config);

  Result<PeerView> create(NewPeer spec) override;
  Result<PeerListView> list(const PeerFilter& filter) override;
  Result<PeerView> get(const PeerRef& ref) override;
  Result<PeerView> update(const PeerRef& ref, const PeerUpdate& update) override;
  Result<void> remove(const PeerRef& ref) override;
  Result<PeerView> set_enabled(const PeerRef& ref, bool enabled) override;
  Result<std::string> client_config(const PeerRef& ref) override;
  ServerInfo server_info() override;
  Result<ServerStatus> status() override;
  Result<wg::DeviceStatus> interface_status() override;

  // The interface changed (the reconciler applied a pass): the next read asks it afresh.
  void invalidate_status();

 private:
  struct Snapshot {
    bool ok = false;
    std::string error;
    wg::DeviceStatus status;  // without the private key
    std::unordered_map<crypto::PublicKey, std::size_t, PublicKeyHash> index;
    std::chrono::steady_clock::time_point taken;
  };
  std::shared_ptr<const Snapshot> snapshot();
  PeerLiveStatus live(const Snapshot& s, const crypto::PublicKey& key) const;
  PeerView view(PeerRecord record, const Snapshot& s) const;
  Result<PeerRecord> resolve(const PeerRef& ref);
  Result<void> check_not_server_key(const KeyMaterial& keys) const;
  void settle(std::int64_t changed_peer);  // ask the reconciler for a pass, wait (bounded)
  std::int64_t now() const;

  Store& store_;
  DeviceControl& device_;
  Reconciler& reconciler_;
  PeerServiceConfig config_;

  std::mutex snapshot_mu_;  // guards snapshot_
  std::shared_ptr<const Snapshot> snapshot_;
  std::mutex fetch_mu_;     // one reader of the interface at a time
};

// "10.8.0.2/32, fd00:8::2/128, routes 192.168.50.0/24" for log lines.
std::string describe_addresses(const PeerRecord& r);

}  // namespace wgd::serve
