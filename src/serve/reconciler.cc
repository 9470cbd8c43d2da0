#include "serve/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "serve/store/store_error.h"

namespace wgd::serve {
namespace {

using SteadyClock = std::chrono::steady_clock;

wg::PeerChange clone_change(const wg::PeerChange& c) {
  wg::PeerChange out;
  out.public_key = c.public_key;
  out.remove = c.remove;
  out.update_only = c.update_only;
  if (c.preshared_key) out.preshared_key = c.preshared_key->clone();
  out.endpoint = c.endpoint;
  out.persistent_keepalive = c.persistent_keepalive;
  out.replace_allowed_ips = c.replace_allowed_ips;
  out.allowed_ips = c.allowed_ips;
  return out;
}

std::string_view verb(PlannedAction::Kind k) {
  switch (k) {
    case PlannedAction::Kind::kAdd:
      return "add";
    case PlannedAction::Kind::kUpdate:
      return "update";
    case PlannedAction::Kind::kRemove:
      return "remove";
  }
  return "change";
}

}  // namespace

Reconciler::Reconciler(Store& store, DeviceControl& device, ReconcilerOptions options)
    : store_(store), device_(device), options_(std::move(options)) {}

Reconciler::~Reconciler() { stop(); }

std::int64_t Reconciler::now() const {
  return options_.clock ? options_.clock() : static_cast<std::int64_t>(std::time(nullptr));
}

Result<void> Reconciler::reload() {
  // The revision is read before the peers: a write in between moves it again, so the next
  // poll reads once more; the other order could miss that write until the next one.
  auto rev = store_.store_revision();
  if (!rev) return std::unexpected(rev.error().context("store revision"));
  auto page = store_.list(PeerFilter{});
  if (!page) return std::unexpected(page.error().context("read peers"));
  std::vector<PeerIntent> intents;
  intents.reserve(page->peers.size());
  for (const auto& r : page->peers) intents.push_back(PeerIntent::from_record(r));
  intents_ = std::move(intents);
  loaded_revision_ = *rev;
  return {};
}

void Reconciler::apply(ReconcilePlan& plan, Trigger trigger, ReconcileResult& result) {
  (void)trigger;
  wg::DeviceChange all;
  for (const auto& c : plan.change.peers) all.peers.push_back(clone_change(c));
  auto ok = device_.set(std::move(all));
  std::vector<bool> failed(plan.actions.size(), false);
  if (!ok) {
    // One peer the interface refuses must not keep every other change out: apply them one
    // by one. A peer that keeps failing is reported once, not at every pass; and when the
    // first few all fail the interface itself is the problem, so the rest is not tried.
    spdlog::warn("{}: applying {} peer changes at once failed ({}); applying them one by one",
                 options_.interface_name, plan.actions.size(), ok.error().message);
    constexpr std::size_t kGiveUpAfter = 8;
    std::size_t consecutive = 0;
    for (std::size_t i = 0; i < plan.actions.size(); ++i) {
      if (consecutive >= kGiveUpAfter) {
        failed[i] = true;
        continue;
      }
      wg::DeviceChange one;
      one.peers.push_back(clone_change(plan.change.peers[i]));
      const crypto::PublicKey& key = plan.actions[i].public_key;
      if (auto r = device_.set(std::move(one)); !r) {
        failed[i] = true;
        ++consecutive;
        if (failing_.insert(key).second)
          spdlog::error("{}: cannot {} peer {}: {}", options_.interface_name, verb(plan.actions[i].kind),
                        describe_action_peer(plan.actions[i]), r.error().message);
      } else {
        consecutive = 0;
        if (failing_.erase(key))
          spdlog::info("{}: peer {} applied now", options_.interface_name, describe_action_peer(plan.actions[i]));
      }
    }
    if (consecutive >= kGiveUpAfter)
      spdlog::error("{}: {} consecutive peer changes failed; the rest waits for the next pass",
                    options_.interface_name, consecutive);
  } else if (!failing_.empty()) {
    for (const auto& a : plan.actions) failing_.erase(a.public_key);
  }
  for (std::size_t i = 0; i < plan.actions.size(); ++i) {
    if (failed[i]) {
      ++result.failed;
      continue;
    }
    switch (plan.actions[i].kind) {
      case PlannedAction::Kind::kAdd:
        ++result.added;
        break;
      case PlannedAction::Kind::kUpdate:
        ++result.updated;
        break;
      case PlannedAction::Kind::kRemove:
        ++result.removed;
        break;
    }
  }
}

void Reconciler::log_pass(const ReconcilePlan& plan, Trigger trigger, const ReconcileResult& r) {
  const std::string& ifn = options_.interface_name;
  if (trigger == Trigger::kStart) {
    spdlog::info("{}: {} peers on the interface ({} added, {} updated, {} removed{})", ifn,
                 r.on_interface, r.added, r.updated, r.removed,
                 r.failed ? fmt::format(", {} failed", r.failed) : std::string());
    return;
  }
  // Passes that follow a change through the API only do what its own log line announced;
  // anything else (drift made by hand, expiry, another gateway's writes) is news.
  const bool expected = trigger == Trigger::kRequest;
  const bool elsewhere = r.reloaded && !expected;
  std::size_t repaired = 0;
  for (const auto& a : plan.actions) {
    const std::string who = describe_action_peer(a);
    if (a.reason == "expired") {
      spdlog::info("peer {} expired: removed from {} (kept in the store)", who, ifn);
    } else if (expected || elsewhere) {
      spdlog::debug("{}: {} peer {} ({})", ifn, verb(a.kind), who, a.reason);
    } else {
      ++repaired;
      switch (a.kind) {
        case PlannedAction::Kind::kAdd:
          spdlog::info("{}: peer {} was missing from the interface; added back", ifn, who);
          break;
        case PlannedAction::Kind::kUpdate:
          spdlog::info("{}: peer {} differed from the store ({}); put back", ifn, who, a.reason);
          break;
        case PlannedAction::Kind::kRemove:
          spdlog::info("{}: removed peer {} ({})", ifn, who, a.reason);
          break;
      }
    }
  }
  if (elsewhere && !plan.empty())
    spdlog::info("{}: the store was changed by another process: {} added, {} updated, {} removed",
                 ifn, r.added, r.updated, r.removed);
  if (repaired) {
    std::lock_guard lock(mu_);
    stats_.drift_repairs += repaired;
  }
}

void Reconciler::repair_device(const wg::DeviceStatus& actual) {
  wg::DeviceChange change;
  std::vector<std::string_view> what;
  if (options_.listen_port && actual.listen_port != *options_.listen_port) {
    change.listen_port = options_.listen_port;
    what.push_back("listen port");
  }
  if (options_.private_key && actual.public_key != options_.server_public_key) {
    change.private_key = options_.private_key->clone();
    what.push_back("private key");
  }
  if (what.empty()) return;
  const auto r = device_.set(std::move(change));
  if (r) {
    spdlog::info("{}: {} differed from the server's settings (changed by hand?); put back",
                 options_.interface_name, fmt::join(what, " and "));
    std::lock_guard lock(mu_);
    stats_.drift_repairs += what.size();
  } else {
    spdlog::error("{}: cannot put back the {}: {}", options_.interface_name, fmt::join(what, " and "),
                  r.error().message);
  }
}

Result<void> Reconciler::reload_peers(const std::set<std::int64_t>& ids) {
  for (std::int64_t id : ids) {
    auto it = std::ranges::find_if(intents_, [id](const PeerIntent& p) { return p.id == id; });
    auto r = store_.get(id);
    if (r) {
      if (it != intents_.end())
        *it = PeerIntent::from_record(*r);
      else
        intents_.push_back(PeerIntent::from_record(*r));
    } else if (store_error_kind(r.error()) == StoreErrorKind::kNotFound) {
      if (it != intents_.end()) intents_.erase(it);
    } else {
      loaded_revision_.reset();  // unsure what we have: the next pass reads everything
      return std::unexpected(r.error().context(fmt::format("read peer {}", id)));
    }
  }
  return {};
}

Result<ReconcileResult> Reconciler::pass(Trigger trigger, const std::set<std::int64_t>* changed) {
  std::lock_guard pass_lock(pass_mu_);
  ReconcileResult result;
  if (trigger == Trigger::kRequest && changed && loaded_revision_) {
    // Only the named peers changed as far as we know; loaded_revision_ stays as it was, so the
    // next revision poll still reads everything once (and sees other writers' changes).
    if (auto ok = reload_peers(*changed); !ok) return std::unexpected(ok.error());
    result.reloaded = true;
  }
  bool reload_needed = trigger == Trigger::kStart || !loaded_revision_ ||
                       (trigger == Trigger::kRequest && !changed);
  if (!reload_needed && (trigger == Trigger::kRevision || trigger == Trigger::kInterval)) {
    auto rev = store_.store_revision();
    if (!rev) return std::unexpected(rev.error().context("store revision"));
    reload_needed = *rev != *loaded_revision_;
    // A poll that finds nothing new is done: the interface is compared every `interval`.
    if (!reload_needed && trigger == Trigger::kRevision) return result;
  }
  if (reload_needed) {
    if (auto ok = reload(); !ok) return std::unexpected(ok.error());
    result.reloaded = true;
  }
  auto actual = device_.get();
  if (!actual) return std::unexpected(actual.error().context("read " + device_.describe()));
  repair_device(*actual);
  const std::int64_t t = now();
  ReconcilePlan plan = plan_reconcile(intents_, *actual, t, options_.server_public_key, &endpoints_);
  for (const auto& p : intents_)
    if (p.active_at(t) && p.public_key != options_.server_public_key) ++result.on_interface;
  if (!plan.empty()) {
    apply(plan, trigger, result);
    for (const auto& a : plan.actions) {
      if (a.kind == PlannedAction::Kind::kRemove && a.peer && a.endpoint)
        endpoints_[a.public_key] = *a.endpoint;
      else if (a.kind == PlannedAction::Kind::kAdd)
        endpoints_.erase(a.public_key);
    }
  }
  if (result.reloaded && !endpoints_.empty()) {
    // Forget peers the store no longer has.
    std::unordered_map<crypto::PublicKey, bool, PublicKeyHash> stored;
    for (const auto& p : intents_) stored.emplace(p.public_key, true);
    std::erase_if(endpoints_, [&](const auto& kv) { return !stored.contains(kv.first); });
  }
  if (device_.manages_routes()) {
    if (auto ok = device_.set_routes(wanted_routes(intents_, t, options_.server_public_key)); !ok)
      spdlog::error("{}: routes to subnets behind peers: {}", options_.interface_name, ok.error().message);
  }
  log_pass(plan, trigger, result);
  {
    std::lock_guard lock(mu_);
    next_expiry_ = next_expiry(intents_, t);
    stats_.changes_applied += result.added + result.updated + result.removed;
    stats_.active_peers = result.on_interface;
  }
  if (!plan.empty() && options_.on_applied) options_.on_applied();
  if (options_.on_state && (result.reloaded || !plan.empty())) options_.on_state(intents_, t);
  return result;
}

Result<ReconcileResult> Reconciler::run_once() {
  auto r = pass(Trigger::kStart);
  std::lock_guard lock(mu_);
  ++stats_.passes;
  stats_.last_pass = now();
  if (!r) {
    ++stats_.failures;
    stats_.last_error = r.error().message;
  }
  return r;
}

void Reconciler::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Reconciler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    completed_ = requested_;  // nobody waits for a pass that will not come
  }
  wake_.notify_all();
  done_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Reconciler::request(std::optional<std::int64_t> changed_peer) {
  std::uint64_t ticket;
  {
    std::lock_guard lock(mu_);
    ticket = ++requested_;
    if (changed_peer)
      pending_ids_.insert(*changed_peer);
    else
      pending_full_ = true;
  }
  wake_.notify_one();
  return ticket;
}

bool Reconciler::wait(std::uint64_t ticket, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return done_.wait_for(lock, timeout, [&] { return completed_ >= ticket || stopping_; });
}

Reconciler::Stats Reconciler::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Reconciler::loop() {
  auto next_poll = SteadyClock::now() + options_.revision_poll;
  auto next_full = SteadyClock::now() + options_.interval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto deadline = std::min(next_poll, next_full);
    if (next_expiry_) {
      const auto in = std::max<std::int64_t>(0, *next_expiry_ - now());
      deadline = std::min(deadline, SteadyClock::now() + std::chrono::seconds(in));
    }
    wake_.wait_until(lock, deadline, [&] { return stopping_ || requested_ > completed_; });
    if (stopping_) break;
    const auto t = SteadyClock::now();
    Trigger trigger;
    if (requested_ > completed_) {
      trigger = Trigger::kRequest;
    } else if (t >= next_full) {
      trigger = Trigger::kInterval;
    } else if (next_expiry_ && now() >= *next_expiry_) {
      trigger = Trigger::kExpiry;
    } else if (t >= next_poll) {
      trigger = Trigger::kRevision;
    } else {
      continue;  // woken early
    }
    const std::uint64_t serving = requested_;
    std::set<std::int64_t> changed;
    bool full = true;
    if (trigger == Trigger::kRequest) {
      changed.swap(pending_ids_);
      full = pending_full_;
      pending_full_ = false;
    }
    lock.unlock();
    auto r = pass(trigger, full ? nullptr : &changed);
    if (r) {
      last_logged_error_.reset();
    } else if (last_logged_error_ != r.error().message) {
      // Logged once per distinct error, not at every poll while the interface is away.
      spdlog::error("{}: reconcile failed: {}", options_.interface_name, r.error().message);
      last_logged_error_ = r.error().message;
    }
    lock.lock();
    if (trigger != Trigger::kRevision || (r && r->reloaded)) {
      ++stats_.passes;
      stats_.last_pass = now();
    }
    if (!r) {
      ++stats_.failures;
      stats_.last_error = r.error().message;
    }
    completed_ = std::max(completed_, serving);
    done_.notify_all();
    const auto after = SteadyClock::now();
    next_poll = after + options_.revision_poll;
    if (trigger == Trigger::kInterval || (r && r->reloaded)) next_full = after + options_.interval;
  }
}

}  // namespace wgd::serve
