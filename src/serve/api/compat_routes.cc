// The REST API of the ASSIST-IoT "VPN enabler" (seed 003), path for path, so that its users'
// curl sequences and scripts keep working against wgd:
//
//   GET    /info            text of `wg show` for the interface
//   GET    /info/conf       text of `wg showconf`, WITHOUT the PrivateKey line (the original
//                           returned it: anyone who could reach the API had the server's key)
//   GET    /keys            {public, private, preshared}: fresh keys, nothing stored
//   POST   /client          {publicKey, presharedKey} -> 200 {serverPublicKey, serverIP,
//                           serverPort, clientIP "A.B.C.D/32", allowedIPs, message}
//   DELETE /client          {publicKey} -> 200 {message}
//   PUT    /client/enable   {publicKey} -> 204
//   PUT    /client/disable  {publicKey} -> 204 (off the interface, kept in the store)
//
// Its errors are 400 {"message": "..."} for every client mistake (a duplicate key, a missing
// field, a full subnet, an unknown key), so that is what these paths answer too. Unlike the
// original they require the API token unless WGD_COMPAT_AUTH=none.
//
// Peers created here are ordinary peers (visible in /api/v1/peers), managed_by "compat", with
// one IPv4 /32 (the original had no IPv6) and persistent keepalive 25, as the original set.
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "serve/api/api_context.h"
#include "serve/store/store_error.h"
#include "uapi/showconf.h"
#include "uapi/wg_show.h"

namespace wgd::serve::api {
namespace {

using json = nlohmann::json;

constexpr std::string_view kManagedBy = "compat";
constexpr std::uint16_t kKeepalive = 25;
constexpr int kMaxNameSuffix = 1000;

void message(httplib::Response& res, int status, std::string_view text) {
  res.status = status;
  res.set_content(json{{"message", text}}.dump(), "application/json");
}

// The request body as a JSON object, or a 400 already written.
std::optional<json> body_object(const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    message(res, 400, "the request body is not valid JSON");
    return std::nullopt;
  }
  if (!body.is_object()) {
    message(res, 400, "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

// A key field: present, a string, 44 characters of canonical base64. Otherwise a 400.
template <class Key>
std::optional<Key> key_field(const json& body, const char* field, httplib::Response& res) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    message(res, 400, fmt::format("{} is required", field));
    return std::nullopt;
  }
  if (!it->is_string()) {
    message(res, 400, fmt::format("{} must be a string", field));
    return std::nullopt;
  }
  auto raw = crypto::key_from_base64(it->get<std::string>());
  if (!raw) {
    message(res, 400,
            fmt::format("{} is not a WireGuard key (44 characters of base64, as `wg genkey` "
                        "prints)",
                        field));
    return std::nullopt;
  }
  if constexpr (std::is_same_v<Key, crypto::PublicKey>) {
    return *raw;
  } else {
    return Key(std::span<const std::uint8_t, crypto::kKeySize>(*raw));
  }
}

// "client-" and the first 8 characters of the key, '+' and '/' made '-', so the name passes
// validate_peer_name and reads as a host name.
std::string compat_name(const crypto::PublicKey& key, int suffix) {
  std::string prefix = crypto::key_to_base64(key).substr(0, 8);
  for (char& c : prefix)
    if (c == '+' || c == '/') c = '-';
  std::string name = "client-" + prefix;
  if (suffix > 1) name += fmt::format("-{}", suffix);
  return name;
}

// "host:port" or "[v6]:port" -> host (kept bracketed, so "serverIP:serverPort" is still an
// endpoint) and port.
std::pair<std::string, std::string> split_endpoint(std::string_view endpoint) {
  std::size_t colon = std::string_view::npos;
  if (endpoint.starts_with('[')) {
    std::size_t close = endpoint.find(']');
    if (close != std::string_view::npos && close + 1 < endpoint.size() && endpoint[close + 1] == ':')
      colon = close + 1;
  } else if (endpoint.find(':') == endpoint.rfind(':')) {
    colon = endpoint.find(':');
  }
  if (colon == std::string_view::npos) return {std::string(endpoint), ""};
  return {std::string(endpoint.substr(0, colon)), std::string(endpoint.substr(colon + 1))};
}

std::string join_prefixes(const std::vector<IpPrefix>& prefixes) {
  std::string out;
  for (const auto& p : prefixes) {
    if (!out.empty()) out += ',';
    out += p.canonical().to_string();
  }
  return out;
}

// A client error from the service, in the original's words where it had some.
void service_error(httplib::Response& res, const Error& e) {
  switch (store_error_kind(e)) {
    case StoreErrorKind::kNotFound:
      message(res, 400, "no client with this public key");
      return;
    case StoreErrorKind::kConflict:
    case StoreErrorKind::kSubnetFull:
    case StoreErrorKind::kInvalid:
      message(res, 400, e.message);
      return;
    case StoreErrorKind::kIo:
      break;
  }
  message(res, 500, e.message);
}

struct Handlers {
  PeerService& peers;
  std::function<bool(const httplib::Request&, httplib::Response&, std::string_view)> authorize;

  bool allowed(const httplib::Request& req, httplib::Response& res) const {
    return authorize(req, res, "compat");
  }

  void info(const httplib::Request& req, httplib::Response& res) const {
    if (!allowed(req, res)) return;
    auto status = peers.interface_status();
    if (!status) return message(res, 500, status.error().message);
    // `wg show` prints the public key and "private key: (hidden)" for an interface that has a
    // key. The service keeps the private key out of its status (it never needs it), so the
    // public key comes from the server's settings and a stand-in takes the private key's place:
    // with hide_keys the renderer prints "(hidden)" for any key, and a random one reveals nothing.
    if (!status->public_key) status->public_key = peers.server_info().public_key;
    if (!status->private_key) status->private_key = crypto::x25519_generate();
    uapi::ShowStyle style;
    style.color = false;
    style.hide_keys = true;
    style.now = static_cast<std::int64_t>(std::time(nullptr));
    res.status = 200;
    res.set_content(uapi::render_show_pretty(peers.server_info().interface, *status, style),
                    "text/plain; charset=utf-8");
  }

  void info_conf(const httplib::Request& req, httplib::Response& res) const {
    if (!allowed(req, res)) return;
    auto status = peers.interface_status();
    if (!status) return message(res, 500, status.error().message);
    // Dropped before rendering, so the key never enters the response, not even to be cut out.
    status->private_key.reset();
    res.status = 200;
    res.set_content(uapi::render_showconf(*status), "text/plain; charset=utf-8");
  }

  void keys(const httplib::Request& req, httplib::Response& res) const {
    if (!allowed(req, res)) return;
    crypto::PrivateKey priv = crypto::x25519_generate();
    crypto::PresharedKey psk;
    crypto::random_bytes(psk.span());
    json out = {{"public", crypto::key_to_base64(crypto::x25519_public(priv))},
                {"private", crypto::key_to_base64(priv.span())},
                {"preshared", crypto::key_to_base64(psk.span())}};
    res.status = 200;
    res.set_content(out.dump(), "application/json");
  }

  void create_client(const httplib::Request& req, httplib::Response& res) const {
    if (!allowed(req, res)) return;
    auto body = body_object(req, res);
    if (!body) return;
    auto public_key = key_field<crypto::PublicKey>(*body, "publicKey", res);
    if (!public_key) return;
    auto preshared = key_field<crypto::PresharedKey>(*body, "presharedKey", res);
    if (!preshared) return;

    ServerInfo info = peers.server_info();
    if (!info.ipv4_address)
      return message(res, 400, "the server has no IPv4 subnet to give clients an address from "
                               "(set WG_SUBNET or WGD_IPV4_ADDRESS)");

    // Asked first so a duplicate is not mistaken for a name clash (same key, same name); the
    // store's unique index still decides if two requests race.
    if (auto existing = peers.get(PeerRef{*public_key}); existing)
      return message(res, 400, "a client with this public key already exists");
    else if (store_error_kind(existing.error()) != StoreErrorKind::kNotFound)
      return message(res, 500, existing.error().message);

    for (int suffix = 1; suffix <= kMaxNameSuffix; ++suffix) {
      NewPeer spec;
      spec.name = compat_name(*public_key, suffix);
      spec.keys.public_key = *public_key;
      spec.preshared_key = preshared->clone();
      spec.ipv4 = AddressRequest::automatic();
      spec.ipv6 = AddressRequest::none();
      spec.persistent_keepalive = kKeepalive;
      spec.managed_by = std::string(kManagedBy);
      spec.description = "added through POST /client";
      auto created = peers.create(std::move(spec));
      if (!created) {
        const Error& e = created.error();
        // The name is ours to choose: on a clash take the next suffix. Any other clash (the
        // key itself) is the caller's.
        if (store_error_kind(e) == StoreErrorKind::kConflict && e.message.starts_with("name:"))
          continue;
        if (store_error_kind(e) == StoreErrorKind::kConflict &&
            e.message.starts_with("public_key:"))
          return message(res, 400, "a client with this public key already exists");
        return service_error(res, e);
      }
      if (!created->record.ipv4)
        return message(res, 500, "the new client got no IPv4 address");
      auto [host, port] = split_endpoint(info.endpoint);
      json out = {
          {"serverPublicKey", crypto::key_to_base64(info.public_key)},
          {"serverIP", host},
          // A string, as the enabler's own answer shows it ("serverPort": "51820").
          {"serverPort", port.empty() ? std::to_string(info.listen_port) : port},
          {"clientIP", created->record.ipv4->to_string() + "/32"},
          {"allowedIPs", join_prefixes(info.client_allowed_ips)},
          {"message", "Peer added successfully"},
      };
      res.status = 200;
      res.set_content(out.dump(), "application/json");
      return;
    }
    message(res, 500, "no free client name for this key");
  }

  void delete_client(const httplib::Request& req, httplib::Response& res) const {
    if (!allowed(req, res)) return;
    auto body = body_object(req, res);
    if (!body) return;
    auto public_key = key_field<crypto::PublicKey>(*body, "publicKey", res);
    if (!public_key) return;
    if (auto r = peers.remove(PeerRef{*public_key}); !r) return service_error(res, r.error());
    message(res, 200, "Peer deleted successfully");
  }

  void set_enabled(const httplib::Request& req, httplib::Response& res, bool enabled) const {
    if (!allowed(req, res)) return;
    auto body = body_object(req, res);
    if (!body) return;
    auto public_key = key_field<crypto::PublicKey>(*body, "publicKey", res);
    if (!public_key) return;
    if (auto r = peers.set_enabled(PeerRef{*public_key}, enabled); !r)
      return service_error(res, r.error());
    res.status = 204;
  }
};

}  // namespace

void register_compat_routes(ApiContext& ctx) {
  // The handlers outlive `ctx`: they share one copy of what they need.
  auto h = std::make_shared<const Handlers>(Handlers{ctx.peers, ctx.authorize});
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  ctx.http.Get("/info", [h](Req req, Res res) { h->info(req, res); });
  ctx.http.Get("/info/conf", [h](Req req, Res res) { h->info_conf(req, res); });
  ctx.http.Get("/keys", [h](Req req, Res res) { h->keys(req, res); });
  ctx.http.Post("/client", [h](Req req, Res res) { h->create_client(req, res); });
  ctx.http.Delete("/client", [h](Req req, Res res) { h->delete_client(req, res); });
  ctx.http.Put("/client/enable", [h](Req req, Res res) { h->set_enabled(req, res, true); });
  ctx.http.Put("/client/disable", [h](Req req, Res res) { h->set_enabled(req, res, false); });
}

}  // namespace wgd::serve::api
