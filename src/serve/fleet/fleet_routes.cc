#include "serve/fleet/fleet_routes.h"

#include <nlohmann/json.hpp>

#include <ctime>

#include "crypto/key_codec.h"
#include "serve/api/api_server.h"
#include "serve/fleet/fleet_publish.h"
#include "serve/store/store_error.h"

namespace wgd::serve::fleet {
namespace {

using nlohmann::json;
using httplib::Request;
using httplib::Response;

json rfc3339(const std::optional<std::int64_t>& t) {
  if (!t) return nullptr;
  const std::time_t tt = static_cast<std::time_t>(*t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json result_json(const SyncResult& r) {
  return {{"devices", r.devices}, {"created", r.created},     {"updated", r.updated},
          {"removed", r.removed}, {"unchanged", r.unchanged}, {"errors", r.errors}};
}

json status_json(const FleetStatus& s) {
  return {{"registry", s.registry},
          {"factory", s.factory},
          {"interval_seconds", s.interval.count()},
          {"polls", s.polls},
          {"failures", s.failures},
          {"consecutive_failures", s.consecutive_failures},
          {"last_attempt", rfc3339(s.last_attempt)},
          {"last_success", rfc3339(s.last_success)},
          {"last_error", s.last_error ? json(*s.last_error) : json(nullptr)},
          {"last_result", s.last_result ? result_json(*s.last_result) : json(nullptr)}};
}

// The address a device uses before a server move, kept routed until its config follows.
std::optional<IpAddress> old_address(const PeerRecord& r) {
  for (const auto& p : r.extra_allowed_ips)
    if (p.address.is_v4() && p.length == 32) return p.address;
  return std::nullopt;
}

void text(Response& res, std::string body) {
  res.status = 200;
  res.set_content(std::move(body), "text/plain; charset=utf-8");
}

}  // namespace

void register_fleet_routes(api::ApiContext& ctx, FleetSync& sync) {
  // Published files: public keys and addresses; the API token unless the operator lets
  // devices fetch them without it.
  const auto publish_ok = [&ctx, &sync](const Request& req, Response& res) {
    return !sync.settings().publish_auth || ctx.authorize(req, res, "api");
  };
  // The server's file without its endpoint would leave devices unable to connect: refused
  // until WGD_ENDPOINT is set (or one was detected at start).
  const auto server_ok = [&ctx, &sync, publish_ok](const Request& req, Response& res) {
    if (!publish_ok(req, res)) return false;
    if (!sync.server().endpoint.empty()) return true;
    ctx.error(res, 503, "no_endpoint",
              "the server's public endpoint is not known (none detected at start): set "
              "WGD_ENDPOINT to the host name or address devices reach it at",
              {});
    return false;
  };
  const auto server_text = [&sync] {
    const FleetServer& s = sync.server();
    return wireguard_server_text(s.endpoint, s.ipv4_address.address, s.public_key);
  };
  // A device of this factory by name, or a 404 already written.
  const auto find_device = [&ctx, &sync](const std::string& name, Response& res) -> std::optional<PeerRecord> {
    auto v = sync.peers().get(PeerRef(name));
    if (!v && store_error_kind(v.error()) != StoreErrorKind::kNotFound) {
      api::write_service_error(res, v.error());  // the store failed: not the device's absence
      return std::nullopt;
    }
    if (!v || v->record.managed_by != sync.settings().managed_by()) {
      ctx.error(res, 404, "not_found", fmt::format("no device '{}' in fleet {}", name, sync.settings().name), {});
      return std::nullopt;
    }
    if (!v->record.ipv4) {
      ctx.error(res, 409, "conflict", fmt::format("device '{}' has no tunnel address", name), {});
      return std::nullopt;
    }
    return std::move(v->record);
  };

  ctx.http.Get("/api/v1/fleet/status", [&ctx, &sync](const Request& req, Response& res) {
    if (!ctx.authorize(req, res, "api")) return;
    api::write_json(res, 200, status_json(sync.status()));
  });

  ctx.http.Post("/api/v1/fleet/sync", [&ctx, &sync](const Request& req, Response& res) {
    if (!ctx.authorize(req, res, "api")) return;
    auto r = sync.sync_once();
    if (!r && is_registry_failure(r.error()))
      return ctx.error(res, 502, "registry_failed", r.error().message, {});
    if (!r) return ctx.error(res, 500, "store_failed", r.error().message, {});
    api::write_json(res, 200, result_json(*r));
  });

  ctx.http.Get("/api/v1/fleet/devices", [&ctx, &sync](const Request& req, Response& res) {
    if (!ctx.authorize(req, res, "api")) return;
    auto devices = sync.devices();
    if (!devices) return api::write_service_error(res, devices.error());
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    json out = json::array();
    for (const auto& v : *devices) {
      const PeerRecord& r = v.record;
      const auto old = old_address(r);
      out.push_back({{"name", r.name},
                     {"public_key", crypto::key_to_base64(r.public_key)},
                     {"address", r.ipv4 ? json(r.ipv4->to_string()) : json(nullptr)},
                     {"old_address", old ? json(old->to_string()) : json(nullptr)},
                     {"enabled", r.enabled},
                     {"on_interface", v.live.on_interface},
                     {"connected", v.live.connected(now)},
                     {"latest_handshake", v.live.latest_handshake ? rfc3339(v.live.latest_handshake) : json(nullptr)}});
    }
    api::write_json(res, 200, {{"factory", sync.settings().name}, {"devices", std::move(out)}});
  });

  ctx.http.Get("/api/v1/fleet/server", [server_ok, server_text, &sync](const Request& req, Response& res) {
    if (!server_ok(req, res)) return;
    const FleetServer& s = sync.server();
    api::write_json(res, 200,
                    {{"factory", sync.settings().name},
                     {"endpoint", s.endpoint},
                     {"server_address", s.ipv4_address.address.to_string()},
                     {"subnet", s.ipv4_address.canonical().to_string()},
                     {"public_key", crypto::key_to_base64(s.public_key)},
                     {"wireguard_server", server_text()}});
  });

  ctx.http.Get("/api/v1/fleet/wireguard-server", [server_ok, server_text](const Request& req, Response& res) {
    if (!server_ok(req, res)) return;
    text(res, server_text());
  });

  ctx.http.Get("/api/v1/fleet/wireguard-server.json", [server_ok, server_text](const Request& req, Response& res) {
    if (!server_ok(req, res)) return;
    api::write_json(res, 200, factory_config_body(server_text()));
  });

  ctx.http.Get(R"(/api/v1/fleet/devices/([^/]+)/wireguard-client)",
               [publish_ok, find_device](const Request& req, Response& res) {
                 if (!publish_ok(req, res)) return;
                 auto r = find_device(req.matches[1].str(), res);
                 if (!r) return;
                 text(res, wireguard_client_text(*r->ipv4, r->public_key));
               });

  ctx.http.Get(R"(/api/v1/fleet/devices/([^/]+)/wireguard-client\.json)",
               [publish_ok, find_device](const Request& req, Response& res) {
                 if (!publish_ok(req, res)) return;
                 auto r = find_device(req.matches[1].str(), res);
                 if (!r) return;
                 api::write_json(res, 200, device_config_body(wireguard_client_text(*r->ipv4, r->public_key)));
               });
}

}  // namespace wgd::serve::fleet
