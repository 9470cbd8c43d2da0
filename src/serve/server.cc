#include "serve/server.h"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/key_codec.h"
#include "serve/api/api_server.h"
#include "serve/api/api_token.h"
#include "serve/client_config.h"
#include "serve/device_control.h"
#include "serve/endpoint_detect.h"
#include "serve/hosts_file.h"
#include "serve/listen_address.h"
#include "serve/peer_service_impl.h"
#include "serve/reconciler.h"
#include "serve/server_identity.h"
#include "serve/store/store_factory.h"
// Issue 6: linuxserver-style provisioning and fleet device sync.
#include "serve/fleet/fleet_routes.h"
#include "serve/fleet/fleet_sync.h"
#include "serve/provision/container_import.h"
#include "serve/provision/provisioner.h"

#ifndef WGD_VERSION
#define WGD_VERSION "dev"
#endif

namespace wgd::serve {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kTokenFile = "api-token";

Result<void> ensure_data_dir(const std::string& dir) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(dir, ec);
  if (ec) return failf("WGD_DATA_DIR: cannot create {}: {}", dir, ec.message());
  if (created) {
    // The database and the token are 0600 themselves; the directory keeps their names private.
    if (::chmod(dir.c_str(), 0700) != 0)
      return failf("WGD_DATA_DIR: chmod 0700 {}: {}", dir, std::strerror(errno));
    spdlog::info("created data directory {} (0700)", dir);
  }
  return {};
}

// Peers keep their addresses when the subnets change between runs; say which no longer fit.
void warn_about_addresses_outside(Store& store, const AddressPool& pool) {
  auto all = store.list(PeerFilter{});
  if (!all) return;
  for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
    const auto& subnet = pool.for_family(family);
    std::size_t outside = 0;
    std::string example;
    for (const auto& p : all->peers) {
      const auto& a = family == IpAddress::Family::kV4 ? p.ipv4 : p.ipv6;
      if (a && !(subnet && subnet->subnet.contains(*a))) {
        if (outside++ == 0) example = fmt::format("{} {}", p.name, a->to_string());
        else if (outside == 2) example += ", ...";
      }
    }
    if (outside)
      spdlog::warn("{} peers have an IPv{} address outside the tunnel subnet {} ({}); they keep "
                   "it, but the interface's route does not cover it: give them a new one with "
                   "PATCH {{\"ipv{}\":\"ADDRESS\"}}, or restore the previous subnet",
                   outside, family == IpAddress::Family::kV4 ? 4 : 6,
                   subnet ? subnet->subnet.to_string() : std::string("(none)"), example,
                   family == IpAddress::Family::kV4 ? 4 : 6);
  }
}

bool same_hosts(const std::vector<HostsPeer>& a, const std::vector<HostsPeer>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].addresses != b[i].addresses) return false;
  return true;
}

// Writes the hosts file on its own thread, at most once a second: with thousands of peers the
// file is large, and a burst of API changes must not rewrite it once per change. The last
// state offered is always written (also when stopping).
class HostsUpdater {
 public:
  explicit HostsUpdater(HostsFile& file) : file_(file), thread_([this] { loop(); }) {}
  ~HostsUpdater() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void offer(std::vector<HostsPeer> peers) {
    std::lock_guard lock(mu_);
    if (same_hosts(peers, written_)) {
      pending_.reset();
      return;
    }
    pending_ = std::move(peers);
    cv_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stopping_ || pending_; });
      if (!pending_) return;
      std::vector<HostsPeer> peers = std::move(*pending_);
      pending_.reset();
      lock.unlock();
      if (auto ok = file_.update(peers); !ok) spdlog::error("{}", ok.error().message);
      lock.lock();
      written_ = std::move(peers);
      if (!stopping_) cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    }
  }

  HostsFile& file_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::vector<HostsPeer>> pending_;
  std::vector<HostsPeer> written_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

struct Server::Parts {
  // Declared first, destroyed last: the interface's thread may still signal them.
  UniqueFd signal_fd;
  UniqueFd stop_fd;  // eventfd: request_stop() or the interface ended by itself
  std::mutex mu;
  std::optional<Result<void>> interface_ended;  // guarded by mu
  bool shut_down = false;

  ResolvedSettings resolved;
  const ServerSettings& settings() const { return resolved.settings; }

  std::unique_ptr<Store> store;
  ServerIdentity identity;
  AddressPool pool;
  std::unique_ptr<api::ApiToken> token;
  std::unique_ptr<InProcessDevice> inprocess;
  std::unique_ptr<UapiDevice> uapi;
  DeviceControl* device = nullptr;
  std::optional<HostsFile> hosts;
  std::unique_ptr<HostsUpdater> hosts_updater;  // outlives the reconciler, which feeds it
  std::unique_ptr<Reconciler> reconciler;
  std::unique_ptr<PeerServiceImpl> service;
  std::unique_ptr<api::ApiServer> api;
  std::unique_ptr<fleet::FleetSync> fleet;  // issue 6: only with WGD_FLEET_REGISTRY

  // Also when start() fails half-way: the threads stop before what they use goes away.
  ~Parts() {
    if (api) api->stop();
    if (reconciler) reconciler->stop();
  }

  void wake() {
    const std::uint64_t one = 1;
    (void)!::write(stop_fd.get(), &one, sizeof one);
  }
};

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() { shutdown(); }

std::string Server::api_address() const { return parts_->api ? parts_->api->address().to_string() : ""; }

void Server::request_stop() { parts_->wake(); }

Result<std::unique_ptr<Server>> Server::start(ResolvedSettings resolved) {
  const auto t0 = SteadyClock::now();
  auto parts = std::make_unique<Parts>();
  parts->resolved = std::move(resolved);
  Parts& p = *parts;
  const ServerSettings& s = p.settings();

  // Signals are taken from a signalfd in wait(); blocked before any thread starts, so that no
  // thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-response must not end the server
  p.signal_fd = UniqueFd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  p.stop_fd = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!p.signal_fd || !p.stop_fd) return failf("signalfd/eventfd: {}", std::strerror(errno));

  spdlog::info("wgd serve {} starting; settings (value, origin):", WGD_VERSION);
  for (const auto& line : describe_settings(p.resolved)) spdlog::info("  {}", line);

  if (auto ok = ensure_data_dir(s.data_dir); !ok) return std::unexpected(ok.error());
  auto store = open_store(s.database_url());
  if (!store) return std::unexpected(store.error().context("WGD_DATABASE"));
  p.store = std::move(*store);

  // Issue 6: a /config left by linuxserver/wireguard keeps its server key (provisioning only).
  if (auto adopted = provision::adopt_container_server_key(s, *p.store); !adopted)
    return std::unexpected(adopted.error().context("WGD_CONFIG_DIR"));
  auto identity = load_server_identity(*p.store, s);
  if (!identity) return std::unexpected(identity.error());
  p.identity = std::move(*identity);
  if (p.identity.ipv4_address) p.pool.v4 = TunnelSubnet::from_interface_address(*p.identity.ipv4_address);
  if (p.identity.ipv6_address) p.pool.v6 = TunnelSubnet::from_interface_address(*p.identity.ipv6_address);
  warn_about_addresses_outside(*p.store, p.pool);

  auto token = api::ApiToken::open(s.data_dir + "/" + std::string(kTokenFile));
  if (!token) return std::unexpected(token.error().context("API token"));
  p.token = std::move(*token);
  if (p.token->created()) spdlog::info("API token created in {} (0600)", p.token->path());

  // The interface.
  std::vector<IpPrefix> addresses;
  if (p.identity.ipv4_address) addresses.push_back(*p.identity.ipv4_address);
  if (p.identity.ipv6_address) addresses.push_back(*p.identity.ipv6_address);
  if (s.device == "inprocess") {
    auto dev = InProcessDevice::create({.name = s.interface, .mtu = s.mtu});
    if (!dev) return std::unexpected(dev.error());
    p.inprocess = std::move(*dev);
    Parts* raw = &p;
    p.inprocess->start([raw](const Result<void>& r) {
      {
        std::lock_guard lock(raw->mu);
        raw->interface_ended = r;
      }
      raw->wake();
    });
    p.device = p.inprocess.get();
  } else {
    p.uapi = std::make_unique<UapiDevice>(s.device.substr(std::string_view("uapi:").size()));
    p.device = p.uapi.get();
    spdlog::info("{}: driven over UAPI; its addresses, routes and link state are the operator's job",
                 p.uapi->describe());
  }
  wg::DeviceChange base;
  base.private_key = p.identity.private_key.clone();
  base.listen_port = s.listen_port;
  if (auto ok = p.device->set(std::move(base)); !ok)
    return std::unexpected(ok.error().context(fmt::format("{}: set private key and UDP port {}",
                                                          p.device->describe(), s.listen_port)));
  if (p.inprocess) {
    if (auto ok = p.inprocess->bring_up(addresses); !ok) return std::unexpected(ok.error());
  }

  // The hosts file, when wanted and writable.
  const HostsFileDecision hosts = decide_hosts_file(s.hosts_file);
  if (hosts.enabled) {
    auto h = HostsFile::create(s.hosts_file, HostsBlockMarkers::for_interface(s.interface), s.hosts_domain);
    if (!h) return std::unexpected(h.error().context("WGD_HOSTS_FILE"));
    p.hosts.emplace(std::move(*h));
    p.hosts_updater = std::make_unique<HostsUpdater>(*p.hosts);
  }
  spdlog::info("{}", hosts.reason);

  // The reconciler, and its first pass before anything is served.
  ReconcilerOptions ro;
  ro.interval = s.reconcile_interval;
  ro.server_public_key = p.identity.public_key;
  ro.listen_port = s.listen_port;
  ro.private_key = p.identity.private_key.clone();
  ro.interface_name = s.interface;
  Parts* raw = &p;
  ro.on_applied = [raw] {
    if (raw->service) raw->service->invalidate_status();
  };
  if (p.hosts) {
    // Issue 6: with fleet sync on, its devices are named in the factory's own block instead.
    const std::string fleet_tag = s.fleet.enabled() ? s.fleet.managed_by() : std::string();
    ro.on_state = [raw, fleet_tag](std::span<const PeerIntent> peers, std::int64_t now) {
      std::vector<HostsPeer> listed;
      for (const auto& peer : peers) {
        if (!peer.active_at(now)) continue;
        if (!fleet_tag.empty() && peer.managed_by == fleet_tag) continue;
        HostsPeer h{peer.name, {}};
        if (peer.ipv4) h.addresses.push_back(*peer.ipv4);
        if (peer.ipv6) h.addresses.push_back(*peer.ipv6);
        listed.push_back(std::move(h));
      }
      raw->hosts_updater->offer(std::move(listed));
    };
  }
  p.reconciler = std::make_unique<Reconciler>(*p.store, *p.device, std::move(ro));
  if (auto first = p.reconciler->run_once(); !first)
    return std::unexpected(first.error().context("first reconcile"));

  // What clients are told.
  std::string endpoint_host = s.endpoint_host;
  std::string endpoint_how = "WGD_ENDPOINT";
  if (endpoint_host.empty() || endpoint_host == "auto") {
    auto detected = detect_endpoint_host();
    endpoint_host = detected.value_or("");
    endpoint_how = detected ? "detected: the address of the interface with the default route; set "
                              "WGD_ENDPOINT if clients reach this server by another address"
                            : "";
  }
  const std::uint16_t endpoint_port = s.endpoint_port.value_or(s.listen_port);
  const std::string endpoint = endpoint_host.empty() ? "" : format_endpoint(endpoint_host, endpoint_port);

  PeerServiceConfig pc;
  pc.info.public_key = p.identity.public_key;
  pc.info.interface = s.interface;
  pc.info.listen_port = s.listen_port;
  pc.info.endpoint = endpoint;
  pc.info.ipv4_address = p.identity.ipv4_address;
  pc.info.ipv6_address = p.identity.ipv6_address;
  pc.info.client_allowed_ips = s.client_allowed_ips;
  if (pc.info.client_allowed_ips.empty()) {
    pc.info.client_allowed_ips.push_back(*IpPrefix::parse("0.0.0.0/0"));
    if (p.identity.ipv6_address) pc.info.client_allowed_ips.push_back(*IpPrefix::parse("::/0"));
  }
  pc.info.client_dns = s.client_dns;
  pc.info.client_persistent_keepalive = s.client_persistent_keepalive;
  pc.info.mtu = s.mtu;
  pc.info.version = WGD_VERSION;
  pc.pool = p.pool;
  pc.client.server_public_key = p.identity.public_key;
  pc.client.endpoint = endpoint;
  pc.client.allowed_ips = pc.info.client_allowed_ips;
  pc.client.dns = s.client_dns;
  for (const auto& src : p.resolved.sources)
    if (src.name == "WGD_MTU" && src.origin != "default") pc.client.mtu = s.mtu;
  p.service = std::make_unique<PeerServiceImpl>(*p.store, *p.device, *p.reconciler, std::move(pc));

  auto listen = parse_listen_address(s.api_listen);
  if (!listen) return std::unexpected(listen.error().context("WGD_API_LISTEN"));
  api::ApiServerOptions api_options{.listen = *listen};
  // Issue 6: fleet device sync (docs/fleet.md); its routes join the API, its polls start below.
  if (s.fleet.enabled()) {
    if (!p.identity.ipv4_address)
      return fail("WGD_FLEET_REGISTRY: fleet devices need an IPv4 tunnel subnet (WGD_IPV4_ADDRESS is 'none')");
    p.fleet = std::make_unique<fleet::FleetSync>(
        *p.service, s.fleet, fleet::FleetServer{p.identity.public_key, *p.identity.ipv4_address, endpoint},
        hosts.enabled ? s.hosts_file : std::string());
    fleet::FleetSync* sync = p.fleet.get();
    api_options.extra_routes.push_back([sync](api::ApiContext& ctx) { fleet::register_fleet_routes(ctx, *sync); });
  }
  auto api = api::ApiServer::create(*p.service, s, *p.token, std::move(api_options));
  if (!api) return std::unexpected(api.error());
  p.api = std::move(*api);
  p.api->start();
  p.reconciler->start();

  // Issue 6: PEERS -> peers and the container's file tree (docs/provisioning.md); QR codes of
  // new or changed configs go to stdout with LOG_CONFS. Then the fleet's polls begin.
  if (s.provision.enabled()) {
    provision::ProvisionServer ps{p.identity.public_key, &p.identity.private_key,
                                  *p.identity.ipv4_address, s.listen_port, endpoint};
    auto report = provision::provision_peers(*p.service, s.provision, ps, [](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    });
    if (!report) return std::unexpected(report.error());
  }
  if (p.fleet) p.fleet->start();

  // The summary.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0).count();
  spdlog::info("server public key {} ({})", crypto::key_to_base64(p.identity.public_key), p.identity.key_origin);
  spdlog::info("{}: {}, UDP port {}", p.device->describe(),
               [&] {
                 std::string a;
                 for (const auto& x : addresses) a += (a.empty() ? "" : ", ") + x.to_string();
                 return a;
               }(),
               s.listen_port);
  if (p.identity.ipv6_address && p.identity.ipv6_origin != "configured")
    spdlog::info("IPv6 tunnel subnet {} ({} random RFC 4193 prefix, kept in the store)",
                 p.identity.ipv6_address->to_string(), p.identity.ipv6_origin);
  if (endpoint.empty())
    spdlog::warn("endpoint for client configs unknown (no default route): set WGD_ENDPOINT, or "
                 "client configs have no Endpoint line");
  else
    spdlog::info("endpoint for client configs: {} ({})", endpoint, endpoint_how);
  const std::string scheme = listen->kind == ListenAddress::Kind::kUnix ? "" : "http://";
  if (s.api_auth) {
    spdlog::info("API on {}{}: bearer token required (in {})", scheme, p.api->address().to_string(),
                 p.token->path());
  } else {
    spdlog::warn("API on {}{}: authentication OFF (WGD_API_AUTH=none): anyone who reaches it "
                 "controls the VPN",
                 scheme, p.api->address().to_string());
  }
  if (s.api_auth && !s.compat_auth)
    spdlog::warn("seed-003 paths (/info, /keys, /client) without authentication (WGD_COMPAT_AUTH=none)");
  if (s.api_auth && !s.metrics_auth) spdlog::info("/metrics without authentication (WGD_METRICS_AUTH=none)");
  auto count = p.store->list(PeerFilter{.limit = 1});
  spdlog::info("store {}: {} peers; ready in {} ms", s.database_url(), count ? count->total : 0, ms);
  return std::make_unique<Server>(std::move(parts));
}

Result<void> Server::wait() {
  Parts& p = *parts_;
  while (true) {
    pollfd fds[2] = {{p.signal_fd.get(), POLLIN, 0}, {p.stop_fd.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return failf("poll: {}", std::strerror(errno));
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(p.signal_fd.get(), &si, sizeof si) != sizeof si) continue;
      if (si.ssi_signo == SIGHUP) {
        // What a supervisor's "reload" means for a server whose desired state is the store:
        // make the interface equal to it now, and poll the fleet registry now. Settings are
        // read at start only; changing them takes a restart.
        spdlog::info("SIGHUP received: reconciling now{}", p.fleet ? " and polling the fleet registry" : "");
        if (p.reconciler) p.reconciler->request();
        if (p.fleet) p.fleet->poke();
        continue;
      }
      spdlog::info("{} received, shutting down", strsignal(static_cast<int>(si.ssi_signo)));
      break;
    }
    if (fds[1].revents & POLLIN) {
      std::lock_guard lock(p.mu);
      if (p.interface_ended) {
        if (*p.interface_ended)
          spdlog::info("interface {} ended (a signal, the link deleted or its UAPI socket "
                       "removed), shutting down",
                       p.settings().interface);
        else
          spdlog::error("interface {} failed: {}; shutting down", p.settings().interface,
                        p.interface_ended->error().message);
      } else {
        spdlog::info("stop requested, shutting down");
      }
      break;
    }
  }
  shutdown();
  std::lock_guard lock(p.mu);
  if (p.interface_ended && !*p.interface_ended) return std::unexpected(p.interface_ended->error());
  return {};
}

void Server::shutdown() {
  if (!parts_ || parts_->shut_down) return;
  Parts& p = *parts_;
  p.shut_down = true;
  // In this order: no new requests (those in progress finish, and may still wait for the
  // reconciler), then no more passes, then the interface.
  if (p.fleet) p.fleet->stop();  // issue 6: no poll may start once the API stops
  if (p.api) p.api->stop();
  if (p.reconciler) p.reconciler->stop();
  p.hosts_updater.reset();  // writes what is still pending
  if (p.inprocess) {
    p.inprocess->stop();
    spdlog::info("interface {} removed", p.settings().interface);
  }
  p.service.reset();
  p.store.reset();
  spdlog::info("stopped");
}

Result<std::string> rotate_api_token(const ServerSettings& settings) {
  if (auto ok = ensure_data_dir(settings.data_dir); !ok) return std::unexpected(ok.error());
  return api::rotate_token_file(settings.data_dir + "/" + std::string(kTokenFile));
}

}  // namespace wgd::serve
