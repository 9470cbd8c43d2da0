// JSON of the native REST API: Peer, ServerInfo and status documents out; create and update
// requests in, with an error naming the field for every value that does not fit; RFC 3339
// times; and the mapping from service errors to HTTP statuses and error codes (SERVE.md).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "serve/peer_service.h"
#include "serve/store/peer_spec.h"
#include "util/error.h"

namespace wgd::serve::api {

// "2024-05-01T12:00:00Z".
std::string format_rfc3339(std::int64_t unix_seconds);
// RFC 3339 date-time ("T", "t" or " " between date and time; "Z" or an offset; fractions of
// a second are dropped). Nothing if it is not one.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

nlohmann::json peer_to_json(const PeerView& peer, std::int64_t now);
nlohmann::json server_info_to_json(const ServerInfo& info);
nlohmann::json status_to_json(const ServerStatus& status);

// A request that cannot be used: 400 with code invalid_json (no field) or invalid_field.
struct RequestError {
  std::string code;     // "invalid_json" or "invalid_field"
  std::string field;    // the JSON field, empty for the body as a whole
  std::string message;  // never quotes a key
};

// The body as a JSON object.
std::expected<nlohmann::json, RequestError> parse_json_object(std::string_view body);

struct CreateRequest {
  NewPeer spec;
  bool generate_preshared_key = true;  // when no preshared_key is given
  bool keepalive_given = false;        // else the server's default applies
};
std::expected<CreateRequest, RequestError> parse_create_request(const nlohmann::json& body);

struct UpdateRequest {
  PeerUpdate update;
  bool generate_preshared_key = false;  // "generate_preshared_key": true makes a fresh one
};
std::expected<UpdateRequest, RequestError> parse_update_request(const nlohmann::json& body);

// A peer in a URL: an id (digits), a public key (44 characters of base64, URL-decoded), or a
// name.
PeerRef parse_peer_ref(std::string_view text);

// How a service error reads over HTTP.
struct HttpError {
  int status = 500;
  std::string code;     // invalid_field, not_found, conflict, subnet_full, no_private_key, internal
  std::string field;    // the request field the message names, if any
  std::string message;
};
HttpError http_error_from(const Error& e);

// {"error": {"code", "message", "field"?}}
nlohmann::json error_body(std::string_view code, std::string_view message, std::string_view field);

}  // namespace wgd::serve::api
