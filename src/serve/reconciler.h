// Keeps the interface equal to the store: the store is the desired state, the interface the
// actual one. A pass reads the store's peers (only when its revision moved, or when asked),
// reads the interface, and applies the exact difference (reconcile_plan.h). Passes run:
//   - at start (run_once, on the caller's thread),
//   - when asked (request(): after every change through PeerService; bursts coalesce into one
//     pass, and wait() lets a caller return only once the interface carries its change),
//   - when store_revision() moved (another process or gateway wrote the store; polled),
//   - every `interval` (repairs drift made by hand with `wg set`),
//   - at the earliest expires_at (an expired peer leaves the interface, not the store).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "crypto/types.h"
#include "wg/config_change.h"
#include "serve/device_control.h"
#include "serve/reconcile_plan.h"
#include "serve/store/store.h"
#include "util/error.h"

namespace wgd::serve {

struct ReconcilerOptions {
  std::chrono::milliseconds interval{10'000};      // full drift check
  std::chrono::milliseconds revision_poll{1'000};  // how often store_revision() is read
  crypto::PublicKey server_public_key{};           // never a peer of its own interface
  // The interface's own settings, put back when changed by hand (`wg set wg0 listen-port ...`,
  // `wg set wg0 private-key ...`); unset: left alone.
  std::optional<std::uint16_t> listen_port;
  std::optional<crypto::PrivateKey> private_key;
  std::string interface_name = "wg0";              // for log lines
  std::function<std::int64_t()> clock;             // Unix seconds; default: the system clock
  // Called after a pass changed the interface (status caches).
  std::function<void()> on_applied;
  // Called after a pass that read the store or saw a peer expire, with every stored peer
  // (the hosts file lists the active ones). On the reconciler's thread.
  std::function<void(std::span<const PeerIntent> peers, std::int64_t now)> on_state;
};

struct ReconcileResult {
  std::size_t added = 0, updated = 0, removed = 0, failed = 0;
  std::size_t on_interface = 0;  // peers the interface should carry now
  bool reloaded = false;         // the store was read in this pass
};

class Reconciler {
 public:
  Reconciler(Store& store, DeviceControl& device, ReconcilerOptions options);
  ~Reconciler();  // stop()
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // One pass on the caller's thread, reading the store. Fails when the store or the interface
  // cannot be read or the change cannot be applied at all.
  Result<ReconcileResult> run_once();

  // The background thread.
  void start();
  void stop();

  // Asks for a pass that reads the store; returns at once with a ticket for wait(). Naming the
  // peer that changed lets the pass re-read only that peer instead of every peer (any other
  // change to the store is still found by the revision poll, which then reads everything).
  std::uint64_t request(std::optional<std::int64_t> changed_peer = std::nullopt);
  // Until a pass that began after request() returned `ticket` has ended (true), or `timeout`.
  bool wait(std::uint64_t ticket, std::chrono::milliseconds timeout);

  struct Stats {
    std::uint64_t passes = 0, failures = 0, changes_applied = 0, drift_repairs = 0;
    std::int64_t last_pass = 0;  // Unix seconds
    // Stored peers the interface should carry (enabled, not expired) as of the last pass that
    // succeeded: /api/v1/status reads it instead of loading every peer.
    std::size_t active_peers = 0;
    std::optional<std::string> last_error;
  };
  Stats stats() const;

 private:
  enum class Trigger : std::uint8_t { kStart, kRequest, kRevision, kInterval, kExpiry };
  // `changed`: for a requested pass, the only peers to re-read (null: all of them).
  Result<ReconcileResult> pass(Trigger trigger, const std::set<std::int64_t>* changed = nullptr);
  Result<void> reload_peers(const std::set<std::int64_t>& ids);
  void repair_device(const wg::DeviceStatus& actual);
  Result<void> reload();
  void apply(ReconcilePlan& plan, Trigger trigger, ReconcileResult& result);
  void log_pass(const ReconcilePlan& plan, Trigger trigger, const ReconcileResult& r);
  void loop();
  std::int64_t now() const;

  Store& store_;
  DeviceControl& device_;
  ReconcilerOptions options_;

  std::mutex pass_mu_;  // one pass at a time (run_once vs. the thread)
  std::vector<PeerIntent> intents_;  // the store as last read
  EndpointMemory endpoints_;          // of stored peers taken off the interface
  std::set<crypto::PublicKey> failing_;  // peers the interface refused (reported once)
  std::optional<std::int64_t> loaded_revision_;
  std::optional<std::string> last_logged_error_;

  mutable std::mutex mu_;  // guards what follows
  std::condition_variable wake_;  // the thread: a request, or stop
  std::condition_variable done_;  // waiters: a pass ended
  std::uint64_t requested_ = 0;   // tickets handed out
  std::set<std::int64_t> pending_ids_;  // peers named by requests not served yet
  bool pending_full_ = false;           // a request named no peer: read them all
  std::uint64_t completed_ = 0;   // every ticket up to this one is served
  bool stopping_ = false;
  std::optional<std::int64_t> next_expiry_;
  Stats stats_;
  std::thread thread_;
};

}  // namespace wgd::serve
