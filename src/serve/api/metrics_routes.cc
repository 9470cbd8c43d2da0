#include "serve/api/metrics_routes.h"

#include "crypto/key_codec.h"
#include "serve/api/prometheus_text.h"

namespace wgd::serve::api {
namespace {

// Every peer with its live status, however the service pages its answers.
Result<std::vector<PeerView>> all_peers(PeerService& service) {
  std::vector<PeerView> out;
  constexpr std::size_t kPage = 1000;
  for (;;) {
    PeerFilter filter;
    filter.limit = kPage;
    filter.offset = out.size();
    auto page = service.list(filter);
    if (!page) return std::unexpected(page.error());
    const std::size_t got = page->peers.size();
    for (auto& p : page->peers) out.push_back(std::move(p));
    if (got == 0 || out.size() >= static_cast<std::size_t>(page->total)) break;
  }
  return out;
}

}  // namespace

Result<std::string> render_metrics(PeerService& service, const ApiCounters& counters) {
  auto status = service.status();
  if (!status) return std::unexpected(status.error());
  auto peers = all_peers(service);
  if (!peers) return std::unexpected(peers.error());

  PrometheusText m;
  m.family("wgd_peers", MetricType::kGauge,
           "Peers by state: total (in the store), enabled, active (enabled, not expired: on the "
           "interface), connected (handshake within the last 180 s).");
  m.sample({{"state", "total"}}, status->peers_total);
  m.sample({{"state", "enabled"}}, status->peers_enabled);
  m.sample({{"state", "active"}}, status->peers_active);
  m.sample({{"state", "connected"}}, status->peers_connected);

  m.family("wgd_interface_up", MetricType::kGauge,
           "1 when the WireGuard interface is up and reachable, else 0.");
  m.sample({{"interface", status->server.interface}}, std::int64_t{status->interface_up ? 1 : 0});

  // Keys as base64 once, for the three per-peer families.
  std::vector<std::string> keys;
  keys.reserve(peers->size());
  for (const auto& p : *peers) keys.push_back(crypto::key_to_base64(p.record.public_key));

  m.family("wgd_peer_receive_bytes_total", MetricType::kCounter,
           "Bytes received from the peer since it was put on the interface.");
  for (std::size_t i = 0; i < peers->size(); ++i) {
    const auto& p = (*peers)[i];
    m.sample({{"name", p.record.name}, {"public_key", keys[i]}}, p.live.rx_bytes);
  }
  m.family("wgd_peer_transmit_bytes_total", MetricType::kCounter,
           "Bytes sent to the peer since it was put on the interface.");
  for (std::size_t i = 0; i < peers->size(); ++i) {
    const auto& p = (*peers)[i];
    m.sample({{"name", p.record.name}, {"public_key", keys[i]}}, p.live.tx_bytes);
  }
  m.family("wgd_peer_latest_handshake_seconds", MetricType::kGauge,
           "Unix time of the peer's latest handshake, 0 if none; its age is "
           "time() - wgd_peer_latest_handshake_seconds.");
  for (std::size_t i = 0; i < peers->size(); ++i) {
    const auto& p = (*peers)[i];
    m.sample({{"name", p.record.name}, {"public_key", keys[i]}}, p.live.latest_handshake);
  }

  m.family("wgd_api_requests_total", MetricType::kCounter, "HTTP requests answered by the API.");
  m.sample({}, counters.requests.load(std::memory_order_relaxed));
  m.family("wgd_api_errors_total", MetricType::kCounter,
           "HTTP requests answered with a 4xx or 5xx status.");
  m.sample({}, counters.errors.load(std::memory_order_relaxed));
  m.family("wgd_api_auth_failures_total", MetricType::kCounter,
           "HTTP requests refused for a missing or wrong bearer token.");
  m.sample({}, counters.auth_failures.load(std::memory_order_relaxed));

  m.family("wgd_build_info", MetricType::kGauge, "Always 1; the labels say which wgd this is.");
  m.sample({{"version", status->server.version}}, std::int64_t{1});
  return m.take();
}

void register_metrics_routes(ApiContext& ctx) {
  // The handlers outlive `ctx` (a set-up value): capture what they use, not ctx itself.
  PeerService& service = ctx.peers;
  ApiCounters& counters = ctx.counters;
  auto authorize = ctx.authorize;
  auto error = ctx.error;
  ctx.http.Get("/metrics", [&service, &counters, authorize, error](const httplib::Request& req,
                                                                    httplib::Response& res) {
    if (!authorize(req, res, "metrics")) return;
    auto text = render_metrics(service, counters);
    if (!text) {
      error(res, 500, "internal", "metrics: " + text.error().message, "");
      return;
    }
    res.status = 200;
    res.set_content(*text, std::string(kPrometheusContentType));
  });
}

}  // namespace wgd::serve::api
