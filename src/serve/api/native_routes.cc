// The native REST API, /api/v1 (SERVE.md is the authoritative list; docs/openapi.yaml mirrors
// it), and /healthz.
#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>

#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "qr/png_render.h"
#include "qr/qr_code.h"
#include "qr/svg_render.h"
#include "serve/api/api_context.h"
#include "serve/api/api_server.h"
#include "serve/api/json_codec.h"

namespace wgd::serve::api {
namespace {

using json = nlohmann::json;
using httplib::Request;
using httplib::Response;

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

crypto::PresharedKey fresh_preshared_key() {
  crypto::PresharedKey k;
  crypto::random_bytes(k.span());
  return k;
}

void write_request_error(Response& res, const RequestError& e) {
  write_error(res, 400, e.code, e.message, e.field);
}

// Responses that carry a private key must not be kept by caches on the way.
void no_store(Response& res) { res.set_header("Cache-Control", "no-store"); }

std::optional<std::size_t> parse_size(const std::string& text, std::size_t max) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n > max) return std::nullopt;
  return n;
}

// ?name=&enabled=&managed_by=&limit=&offset=
std::expected<PeerFilter, RequestError> parse_list_query(const Request& req) {
  PeerFilter f;
  f.limit = kDefaultLimit;
  if (req.has_param("name")) f.name_contains = req.get_param_value("name");
  if (req.has_param("enabled")) {
    const std::string v = req.get_param_value("enabled");
    if (v == "true" || v == "1")
      f.enabled = true;
    else if (v == "false" || v == "0")
      f.enabled = false;
    else
      return std::unexpected(RequestError{"invalid_field", "enabled", "enabled: must be true or false"});
  }
  if (req.has_param("managed_by")) f.managed_by = req.get_param_value("managed_by");
  if (req.has_param("limit")) {
    auto n = parse_size(req.get_param_value("limit"), kMaxLimit);
    if (!n || *n == 0)
      return std::unexpected(RequestError{"invalid_field", "limit",
                                          fmt::format("limit: must be an integer from 1 to {}", kMaxLimit)});
    f.limit = *n;
  }
  if (req.has_param("offset")) {
    auto n = parse_size(req.get_param_value("offset"), std::size_t{1} << 40);
    if (!n) return std::unexpected(RequestError{"invalid_field", "offset", "offset: must be an integer >= 0"});
    f.offset = *n;
  }
  return f;
}

PeerRef ref_of(const Request& req) { return parse_peer_ref(req.matches[1].str()); }

}  // namespace

void register_native_routes(ApiContext& ctx) {
  httplib::Server& http = ctx.http;
  // Handlers outlive this function: they hold the context (owned by the ApiServer) by pointer.
  ApiContext* c = &ctx;

  http.Get("/healthz", [](const Request&, Response& res) { write_json(res, 200, {{"status", "ok"}}); });

  http.Get("/api/v1/server", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    write_json(res, 200, server_info_to_json(c->peers.server_info()));
  });

  http.Get("/api/v1/status", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    auto st = c->peers.status();
    if (!st) return write_service_error(res, st.error());
    write_json(res, 200, status_to_json(*st));
  });

  http.Get("/api/v1/peers", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    auto filter = parse_list_query(req);
    if (!filter) return write_request_error(res, filter.error());
    auto page = c->peers.list(*filter);
    if (!page) return write_service_error(res, page.error());
    const std::int64_t now = unix_now();
    json list = json::array();
    for (const auto& p : page->peers) list.push_back(peer_to_json(p, now));
    write_json(res, 200,
               {{"peers", std::move(list)}, {"total", page->total}, {"limit", filter->limit},
                {"offset", filter->offset}});
  });

  http.Post("/api/v1/peers", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    auto body = parse_json_object(req.body);
    if (!body) return write_request_error(res, body.error());
    auto parsed = parse_create_request(*body);
    if (!parsed) return write_request_error(res, parsed.error());
    NewPeer spec = std::move(parsed->spec);
    if (parsed->generate_preshared_key && !spec.preshared_key) spec.preshared_key = fresh_preshared_key();
    if (!parsed->keepalive_given) spec.persistent_keepalive = c->peers.server_info().client_persistent_keepalive;
    auto view = c->peers.create(std::move(spec));
    if (!view) return write_service_error(res, view.error());
    res.set_header("Location", fmt::format("/api/v1/peers/{}", view->record.id));
    write_json(res, 201, peer_to_json(*view, unix_now()));
  });

  http.Post("/api/v1/keys", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    crypto::PrivateKey priv = crypto::x25519_generate();
    crypto::PresharedKey psk = fresh_preshared_key();
    no_store(res);
    write_json(res, 200,
               {{"private_key", crypto::key_to_base64(priv.span())},
                {"public_key", crypto::key_to_base64(crypto::x25519_public(priv))},
                {"preshared_key", crypto::key_to_base64(psk.span())}});
  });

  // Sub-resources first: a public key in the path may contain '/', so "(.+)" of the plain
  // peer route would swallow them.
  http.Get(R"(/api/v1/peers/(.+)/config)", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    auto peer = c->peers.get(ref_of(req));
    if (!peer) return write_service_error(res, peer.error());
    auto conf = c->peers.client_config(peer->record.id);
    if (!conf) return write_service_error(res, conf.error());
    no_store(res);
    res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}.conf\"", peer->record.name));
    res.status = 200;
    res.set_content(*conf, "text/plain; charset=utf-8");
  });

  const auto qr_route = [c](bool png) {
    return [c, png](const Request& req, Response& res) {
      if (!c->authorize(req, res, "api")) return;
      auto conf = c->peers.client_config(ref_of(req));
      if (!conf) return write_service_error(res, conf.error());
      auto code = qr::encode(*conf);
      if (!code) return write_service_error(res, code.error());
      no_store(res);
      res.status = 200;
      if (png) {
        auto image = qr::to_png(*code);
        if (!image) return write_service_error(res, image.error());
        res.set_content(*image, "image/png");
      } else {
        res.set_content(qr::to_svg(*code), "image/svg+xml");
      }
    };
  };
  http.Get(R"(/api/v1/peers/(.+)/qr\.png)", qr_route(true));
  http.Get(R"(/api/v1/peers/(.+)/qr\.svg)", qr_route(false));

  const auto enable_route = [c](bool enabled) {
    return [c, enabled](const Request& req, Response& res) {
      if (!c->authorize(req, res, "api")) return;
      auto view = c->peers.set_enabled(ref_of(req), enabled);
      if (!view) return write_service_error(res, view.error());
      write_json(res, 200, peer_to_json(*view, unix_now()));
    };
  };
  http.Post(R"(/api/v1/peers/(.+)/enable)", enable_route(true));
  http.Post(R"(/api/v1/peers/(.+)/disable)", enable_route(false));

  http.Get(R"(/api/v1/peers/(.+))", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    auto view = c->peers.get(ref_of(req));
    if (!view) return write_service_error(res, view.error());
    write_json(res, 200, peer_to_json(*view, unix_now()));
  });

  http.Patch(R"(/api/v1/peers/(.+))", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    auto body = parse_json_object(req.body);
    if (!body) return write_request_error(res, body.error());
    auto parsed = parse_update_request(*body);
    if (!parsed) return write_request_error(res, parsed.error());
    if (parsed->generate_preshared_key)
      parsed->update.preshared_key = std::optional<crypto::PresharedKey>(fresh_preshared_key());
    auto view = c->peers.update(ref_of(req), parsed->update);
    if (!view) return write_service_error(res, view.error());
    write_json(res, 200, peer_to_json(*view, unix_now()));
  });

  http.Delete(R"(/api/v1/peers/(.+))", [c](const Request& req, Response& res) {
    if (!c->authorize(req, res, "api")) return;
    if (auto ok = c->peers.remove(ref_of(req)); !ok) return write_service_error(res, ok.error());
    res.status = 204;
  });
}

}  // namespace wgd::serve::api
