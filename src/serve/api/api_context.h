// What every group of HTTP routes gets: the service, the settings, and the shared helpers for
// authentication and JSON errors, so that native, compatibility and metrics routes behave
// alike. Route groups are registered by functions `void register_*_routes(ApiContext&)`.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "serve/peer_service.h"
#include "serve/settings.h"

namespace wgd::serve::api {

// Request counters for /metrics, by route group and status class.
struct ApiCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> errors{0};      // 4xx + 5xx
  std::atomic<std::uint64_t> auth_failures{0};
};

struct ApiContext {
  httplib::Server& http;
  PeerService& peers;
  const ServerSettings& settings;
  ApiCounters& counters;
  // True if the request carries the current token (or auth is off for `group`); otherwise it
  // has already written the 401 response and the handler must return.
  std::function<bool(const httplib::Request&, httplib::Response&, std::string_view group)>
      authorize;
  // Writes {"error":{"code","message","field"}} with the status for `code`.
  std::function<void(httplib::Response&, int status, std::string_view code,
                     std::string_view message, std::string_view field)>
      error;
};

// Route groups (each in its own file).
void register_native_routes(ApiContext& ctx);   // /api/v1/*, /healthz
void register_compat_routes(ApiContext& ctx);   // seed 003: /info, /info/conf, /keys, /client*
void register_metrics_routes(ApiContext& ctx);  // /metrics
void register_openapi_routes(ApiContext& ctx);  // /openapi.yaml

}  // namespace wgd::serve::api
