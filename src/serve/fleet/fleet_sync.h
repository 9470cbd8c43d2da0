// Fleet device sync (issue 6 item 3, seed 000): `wgd serve` follows an external device
// registry the way factory-wireguard-server follows Foundries, without its weak spots:
//
// - every WGD_FLEET_INTERVAL (300 s by default) the registry is read and checked as a whole;
// - the peers of this factory (managed_by "fleet:<factory>"; no other peer is ever touched)
//   are created, updated and removed through PeerService, so the interface changes live, one
//   peer at a time, where factory-wireguard.py rewrites its config and runs `wg-quick down`
//   and `up` on every change (dropping every device's session);
// - a registry that is down, answers non-200 or sends garbage changes nothing: the error is
//   logged (once, not every poll) and shown by GET /api/v1/fleet/status;
// - the factory's block in the hosts file ("## Factory(<name>) VPN Lookups" ...
//   "## END Factory(<name>) VPN Lookups", the markers factory-wireguard.py writes) lists the
//   enabled devices after every poll;
// - the server's settings and each device's wireguard-client are published (fleet_routes.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "serve/fleet/fleet_plan.h"
#include "serve/fleet/fleet_settings.h"
#include "serve/fleet/registry_source.h"
#include "serve/hosts_file.h"
#include "serve/peer_service.h"
#include "util/error.h"

namespace wgd::serve::fleet {

// What the published settings and the renumbering need to know about the server.
struct FleetServer {
  crypto::PublicKey public_key{};
  IpPrefix ipv4_address;  // the server's tunnel address with the subnet's length (--vpnaddr)
  std::string endpoint;   // "host:port" devices connect to
};

struct SyncResult {
  std::size_t devices = 0;  // in the registry's answer
  std::size_t created = 0, updated = 0, removed = 0, unchanged = 0;
  std::vector<std::string> errors;  // devices that could not be applied (e.g. a name taken by a
                                    // peer the API manages); the others were
};

struct FleetStatus {
  std::string registry;
  std::string factory;
  std::chrono::seconds interval{0};
  std::uint64_t polls = 0, failures = 0, consecutive_failures = 0;
  std::optional<std::int64_t> last_attempt, last_success;  // Unix seconds
  std::optional<std::string> last_error;  // of the last poll, if it failed (nothing changed)
  std::optional<SyncResult> last_result;  // of the last poll that was accepted
};

// A failed sync_once() is the registry's fault (unreachable, refusing, or an answer rejected:
// the API answers 502) unless the error carries an errno, which only this server's own store
// failures do (500).
bool is_registry_failure(const Error& e);

class FleetSync {
 public:
  // `hosts` is the hosts file to keep the factory's block in (empty: none).
  FleetSync(PeerService& service, FleetSettings settings, FleetServer server, std::string hosts_path,
            FetchOptions fetch = {});
  ~FleetSync();  // stop()
  FleetSync(const FleetSync&) = delete;
  FleetSync& operator=(const FleetSync&) = delete;

  // One poll on the caller's thread: fetch, check, apply, hosts block. Fails (changing nothing)
  // when the registry cannot be read or its answer is rejected, or when this server's store
  // cannot be read (is_registry_failure tells which).
  Result<SyncResult> sync_once();

  void start();  // the thread: a poll at once, then every interval (or when poke()d)
  void stop();
  void poke();   // poll as soon as possible

  FleetStatus status() const;
  const FleetSettings& settings() const { return settings_; }
  const FleetServer& server() const { return server_; }
  PeerService& peers() { return service_; }

  // The peers of this factory, as the store has them.
  Result<std::vector<PeerView>> devices();

 private:
  Result<SyncResult> poll();
  void apply(FleetPlan& plan, SyncResult& result);
  void update_hosts();
  void loop();

  PeerService& service_;
  const FleetSettings settings_;
  const FleetServer server_;
  const TunnelSubnet subnet_;
  const FetchOptions fetch_;
  std::optional<HostsFile> hosts_;

  std::mutex sync_mu_;  // one poll at a time (the thread, POST /sync, tests)

  mutable std::mutex mu_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  bool poked_ = false;
  FleetStatus status_;
  std::thread thread_;
};

}  // namespace wgd::serve::fleet
