#include "serve/api/json_codec.h"

#include <array>
#include <charconv>
#include <limits>

#include "crypto/key_codec.h"
#include "serve/peer_service_impl.h"
#include "serve/store/store_error.h"

namespace wgd::serve::api {
namespace {

using json = nlohmann::json;
template <class T>
using Parsed = std::expected<T, RequestError>;

std::unexpected<RequestError> field_error(std::string_view field, std::string message) {
  return std::unexpected(RequestError{"invalid_field", std::string(field),
                                      std::string(field) + ": " + std::move(message)});
}

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<unsigned> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return v;
}

json prefixes_to_json(const std::vector<IpPrefix>& v) {
  json a = json::array();
  for (const auto& p : v) a.push_back(p.to_string());
  return a;
}

// --- request fields ----------------------------------------------------------------------------

Parsed<std::string> string_field(const json& v, std::string_view field, bool null_is_empty = false) {
  if (v.is_null() && null_is_empty) return std::string();
  if (!v.is_string()) return field_error(field, "must be a string");
  return v.get<std::string>();
}

Parsed<bool> bool_field(const json& v, std::string_view field) {
  if (!v.is_boolean()) return field_error(field, "must be true or false");
  return v.get<bool>();
}

Parsed<std::int64_t> integer_field(const json& v, std::string_view field, std::int64_t min, std::int64_t max) {
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) ||
      (!v.is_number_unsigned() && (v.get<std::int64_t>() < min || v.get<std::int64_t>() > max)))
    return field_error(field, fmt::format("must be an integer from {} to {}", min, max));
  return v.get<std::int64_t>();
}

Parsed<crypto::PublicKey> public_key_field(const json& v, std::string_view field) {
  if (!v.is_string()) return field_error(field, "must be a base64 key (44 characters)");
  auto k = crypto::key_from_base64(v.get_ref<const std::string&>());
  if (!k) return field_error(field, "not a valid WireGuard key (44 characters of base64)");
  return *k;
}

// Private and preshared keys: the value is never repeated in the message.
Parsed<crypto::PrivateKey> secret_key_field(const json& v, std::string_view field) {
  if (!v.is_string()) return field_error(field, "must be a base64 key (44 characters)");
  auto k = crypto::secret_key_from_base64(v.get_ref<const std::string&>());
  if (!k) return field_error(field, "not a valid WireGuard key (44 characters of base64)");
  return std::move(*k);
}

Parsed<AddressRequest> address_field(const json& v, std::string_view field, IpAddress::Family family) {
  const int n = family == IpAddress::Family::kV4 ? 4 : 6;
  if (v.is_null()) return AddressRequest::none();
  if (!v.is_string())
    return field_error(field, fmt::format("must be \"auto\", \"none\" or an IPv{} address", n));
  std::string_view s = v.get_ref<const std::string&>();
  if (s == "auto") return AddressRequest::automatic();
  if (s == "none") return AddressRequest::none();
  // A host prefix (/32, /128) is the same address.
  const std::string_view host_len = family == IpAddress::Family::kV4 ? "/32" : "/128";
  if (s.ends_with(host_len)) s.remove_suffix(host_len.size());
  auto a = IpAddress::parse(s);
  if (!a || a->family() != family)
    return field_error(field, fmt::format("'{}' is not \"auto\", \"none\" or an IPv{} address", s, n));
  return AddressRequest::exactly(*a);
}

// An array of strings, or one string of comma-separated items; null is the empty list.
Parsed<std::vector<std::string>> string_list_field(const json& v, std::string_view field) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  auto add_split = [&](std::string_view s) {
    while (true) {
      const auto comma = s.find(',');
      auto item = s.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
  };
  if (v.is_string()) {
    add_split(v.get_ref<const std::string&>());
    return out;
  }
  if (!v.is_array()) return field_error(field, "must be an array of strings");
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string())
      return field_error(field, fmt::format("entry {} is not a string", i));
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

Parsed<std::vector<IpPrefix>> prefix_list_field(const json& v, std::string_view field) {
  auto items = string_list_field(v, field);
  if (!items) return std::unexpected(items.error());
  std::vector<IpPrefix> out;
  for (const auto& s : *items) {
    auto p = IpPrefix::parse(s);
    if (!p) return field_error(field, fmt::format("'{}' is not an address or CIDR prefix", s));
    out.push_back(*p);
  }
  return out;
}

Parsed<std::optional<std::uint16_t>> keepalive_field(const json& v, std::string_view field) {
  if (v.is_null()) return std::optional<std::uint16_t>();
  auto n = integer_field(v, field, 0, 65535);
  if (!n) return std::unexpected(n.error());
  if (*n == 0) return std::optional<std::uint16_t>();
  return std::optional<std::uint16_t>(static_cast<std::uint16_t>(*n));
}

Parsed<std::optional<std::int64_t>> expires_field(const json& v, std::string_view field) {
  if (v.is_null()) return std::optional<std::int64_t>();
  if (v.is_string()) {
    auto t = parse_rfc3339(v.get_ref<const std::string&>());
    if (!t) return field_error(field, "not an RFC 3339 time (e.g. 2030-01-31T12:00:00Z)");
    return std::optional<std::int64_t>(*t);
  }
  auto n = integer_field(v, field, 0, std::numeric_limits<std::int64_t>::max() / 2);
  if (!n) return field_error(field, "must be an RFC 3339 time, Unix seconds, or null");
  return std::optional<std::int64_t>(*n);
}

// The fields that create and update share. `is_update` allows "revision".
template <class Apply>
Parsed<void> for_each_field(const json& body, bool is_update, Apply&& apply) {
  static constexpr std::array kCommon = {
      "name",        "public_key",         "private_key", "preshared_key", "generate_preshared_key",
      "ipv4",        "ipv6",               "allowed_ips", "client_allowed_ips", "dns",
      "persistent_keepalive", "description", "enabled",   "expires_at",    "managed_by"};
  for (const auto& [key, value] : body.items()) {
    bool known = is_update && key == "revision";
    for (auto k : kCommon) known = known || key == k;
    if (!known)
      return std::unexpected(RequestError{"invalid_field", key, key + ": unknown field"});
    if (auto ok = apply(key, value); !ok) return ok;
  }
  return {};
}

}  // namespace

// --- times -------------------------------------------------------------------------------------

std::string format_rfc3339(std::int64_t t) {
  std::int64_t days = t / 86400, secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS
  auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  auto h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
      s[16] != ':' || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
    return std::nullopt;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > kDays[*mo - 1] + (*mo == 2 && leap(*y)) || *h > 23 ||
      *mi > 59 || *sec > 60)
    return std::nullopt;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (!oh || !om || s[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset = (s[pos] == '+' ? 1 : -1) * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const unsigned leap_second_clamped = *sec == 60 ? 59 : *sec;
  return days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + leap_second_clamped - offset;
}

// --- documents ---------------------------------------------------------------------------------

json peer_to_json(const PeerView& v, std::int64_t now) {
  const PeerRecord& r = v.record;
  json status = {
      {"on_interface", v.live.on_interface},
      {"endpoint", v.live.endpoint ? json(v.live.endpoint->to_string()) : json(nullptr)},
      {"latest_handshake",
       v.live.latest_handshake ? json(format_rfc3339(v.live.latest_handshake)) : json(nullptr)},
      {"rx_bytes", v.live.rx_bytes},
      {"tx_bytes", v.live.tx_bytes},
      {"connected", v.live.connected(now)},
  };
  return json{
      {"id", r.id},
      {"name", r.name},
      {"public_key", crypto::key_to_base64(r.public_key)},
      {"has_private_key", r.private_key.has_value()},
      {"has_preshared_key", r.preshared_key.has_value()},
      {"ipv4", r.ipv4 ? json(r.ipv4->to_string()) : json(nullptr)},
      {"ipv6", r.ipv6 ? json(r.ipv6->to_string()) : json(nullptr)},
      {"allowed_ips", prefixes_to_json(r.server_allowed_ips())},
      {"extra_allowed_ips", prefixes_to_json(r.extra_allowed_ips)},
      {"client_allowed_ips", prefixes_to_json(r.client_allowed_ips)},
      {"dns", r.dns},
      {"persistent_keepalive", r.persistent_keepalive ? json(*r.persistent_keepalive) : json(nullptr)},
      {"description", r.description},
      {"enabled", r.enabled},
      {"expires_at", r.expires_at ? json(format_rfc3339(*r.expires_at)) : json(nullptr)},
      {"expired", r.expires_at.has_value() && *r.expires_at <= now},
      {"managed_by", r.managed_by},
      {"created_at", format_rfc3339(r.created_at)},
      {"updated_at", format_rfc3339(r.updated_at)},
      {"revision", r.revision},
      {"status", std::move(status)},
  };
}

json server_info_to_json(const ServerInfo& i) {
  return json{
      {"public_key", crypto::key_to_base64(i.public_key)},
      {"interface", i.interface},
      {"listen_port", i.listen_port},
      {"endpoint", i.endpoint.empty() ? json(nullptr) : json(i.endpoint)},
      {"ipv4_address", i.ipv4_address ? json(i.ipv4_address->to_string()) : json(nullptr)},
      {"ipv6_address", i.ipv6_address ? json(i.ipv6_address->to_string()) : json(nullptr)},
      {"client_allowed_ips", prefixes_to_json(i.client_allowed_ips)},
      {"client_dns", i.client_dns},
      {"client_persistent_keepalive",
       i.client_persistent_keepalive ? json(*i.client_persistent_keepalive) : json(nullptr)},
      {"mtu", i.mtu},
      {"version", i.version},
  };
}

json status_to_json(const ServerStatus& s) {
  return json{
      {"server", server_info_to_json(s.server)},
      {"peers",
       {{"total", s.peers_total},
        {"enabled", s.peers_enabled},
        {"active", s.peers_active},
        {"connected", s.peers_connected}}},
      {"interface",
       {{"up", s.interface_up},
        {"listen_port", s.server.listen_port},
        {"rx_bytes", s.rx_bytes},
        {"tx_bytes", s.tx_bytes}}},
  };
}

// --- requests ----------------------------------------------------------------------------------

std::expected<json, RequestError> parse_json_object(std::string_view body) {
  if (body.empty()) return std::unexpected(RequestError{"invalid_json", "", "the request body is empty (expected a JSON object)"});
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected(RequestError{"invalid_json", "", "the request body is not valid JSON"});
  if (!j.is_object()) return std::unexpected(RequestError{"invalid_json", "", "the request body must be a JSON object"});
  return j;
}

std::expected<CreateRequest, RequestError> parse_create_request(const json& body) {
  CreateRequest req;
  NewPeer& p = req.spec;
  bool has_name = false;
  auto ok = for_each_field(body, false, [&](const std::string& key, const json& v) -> Parsed<void> {
    if (key == "name") {
      auto s = string_field(v, key);
      if (!s) return std::unexpected(s.error());
      p.name = std::move(*s);
      has_name = true;
    } else if (key == "public_key") {
      if (v.is_null()) return {};
      auto k = public_key_field(v, key);
      if (!k) return std::unexpected(k.error());
      p.keys.public_key = *k;
    } else if (key == "private_key") {
      if (v.is_null()) return {};
      auto k = secret_key_field(v, key);
      if (!k) return std::unexpected(k.error());
      p.keys.private_key = std::move(*k);
    } else if (key == "preshared_key") {
      if (v.is_null()) {
        req.generate_preshared_key = false;
        return {};
      }
      auto k = secret_key_field(v, key);
      if (!k) return std::unexpected(k.error());
      p.preshared_key = std::move(*k);
    } else if (key == "generate_preshared_key") {
      auto b = bool_field(v, key);
      if (!b) return std::unexpected(b.error());
      if (!*b) req.generate_preshared_key = false;
    } else if (key == "ipv4" || key == "ipv6") {
      auto a = address_field(v, key, key == "ipv4" ? IpAddress::Family::kV4 : IpAddress::Family::kV6);
      if (!a) return std::unexpected(a.error());
      (key == "ipv4" ? p.ipv4 : p.ipv6) = *a;
    } else if (key == "allowed_ips" || key == "client_allowed_ips") {
      auto l = prefix_list_field(v, key);
      if (!l) return std::unexpected(l.error());
      (key == "allowed_ips" ? p.extra_allowed_ips : p.client_allowed_ips) = std::move(*l);
    } else if (key == "dns") {
      auto l = string_list_field(v, key);
      if (!l) return std::unexpected(l.error());
      p.dns = std::move(*l);
    } else if (key == "persistent_keepalive") {
      auto k = keepalive_field(v, key);
      if (!k) return std::unexpected(k.error());
      p.persistent_keepalive = *k;
      req.keepalive_given = true;
    } else if (key == "description") {
      auto s = string_field(v, key, true);
      if (!s) return std::unexpected(s.error());
      p.description = std::move(*s);
    } else if (key == "enabled") {
      auto b = bool_field(v, key);
      if (!b) return std::unexpected(b.error());
      p.enabled = *b;
    } else if (key == "expires_at") {
      auto e = expires_field(v, key);
      if (!e) return std::unexpected(e.error());
      p.expires_at = *e;
    } else if (key == "managed_by") {
      auto s = string_field(v, key);
      if (!s) return std::unexpected(s.error());
      p.managed_by = std::move(*s);
    }
    return {};
  });
  if (!ok) return std::unexpected(ok.error());
  if (!has_name) return field_error("name", "is required");
  return req;
}

std::expected<UpdateRequest, RequestError> parse_update_request(const json& body) {
  UpdateRequest req;
  PeerUpdate& u = req.update;
  auto ok = for_each_field(body, true, [&](const std::string& key, const json& v) -> Parsed<void> {
    if (key == "revision") {
      auto n = integer_field(v, key, 0, std::numeric_limits<std::int64_t>::max());
      if (!n) return std::unexpected(n.error());
      u.expected_revision = *n;
    } else if (key == "name") {
      auto s = string_field(v, key);
      if (!s) return std::unexpected(s.error());
      u.name = std::move(*s);
    } else if (key == "public_key") {
      auto k = public_key_field(v, key);
      if (!k) return std::unexpected(k.error());
      if (!u.keys) u.keys.emplace();
      u.keys->public_key = *k;
    } else if (key == "private_key") {
      auto k = secret_key_field(v, key);
      if (!k) return std::unexpected(k.error());
      if (!u.keys) u.keys.emplace();
      u.keys->private_key = std::move(*k);
    } else if (key == "preshared_key") {
      if (v.is_null()) {
        u.preshared_key = std::optional<crypto::PresharedKey>();
        return {};
      }
      auto k = secret_key_field(v, key);
      if (!k) return std::unexpected(k.error());
      u.preshared_key = std::optional<crypto::PresharedKey>(std::move(*k));
    } else if (key == "generate_preshared_key") {
      auto b = bool_field(v, key);
      if (!b) return std::unexpected(b.error());
      req.generate_preshared_key = *b;
    } else if (key == "ipv4" || key == "ipv6") {
      auto a = address_field(v, key, key == "ipv4" ? IpAddress::Family::kV4 : IpAddress::Family::kV6);
      if (!a) return std::unexpected(a.error());
      (key == "ipv4" ? u.ipv4 : u.ipv6) = *a;
    } else if (key == "allowed_ips" || key == "client_allowed_ips") {
      auto l = prefix_list_field(v, key);
      if (!l) return std::unexpected(l.error());
      (key == "allowed_ips" ? u.extra_allowed_ips : u.client_allowed_ips) = std::move(*l);
    } else if (key == "dns") {
      auto l = string_list_field(v, key);
      if (!l) return std::unexpected(l.error());
      u.dns = std::move(*l);
    } else if (key == "persistent_keepalive") {
      auto k = keepalive_field(v, key);
      if (!k) return std::unexpected(k.error());
      u.persistent_keepalive = *k;
    } else if (key == "description") {
      auto s = string_field(v, key, true);
      if (!s) return std::unexpected(s.error());
      u.description = std::move(*s);
    } else if (key == "enabled") {
      auto b = bool_field(v, key);
      if (!b) return std::unexpected(b.error());
      u.enabled = *b;
    } else if (key == "expires_at") {
      auto e = expires_field(v, key);
      if (!e) return std::unexpected(e.error());
      u.expires_at = *e;
    } else if (key == "managed_by") {
      auto s = string_field(v, key);
      if (!s) return std::unexpected(s.error());
      u.managed_by = std::move(*s);
    }
    return {};
  });
  if (!ok) return std::unexpected(ok.error());
  if (u.preshared_key && req.generate_preshared_key)
    return field_error("generate_preshared_key", "cannot be true when preshared_key is given");
  return req;
}

PeerRef parse_peer_ref(std::string_view text) {
  if (auto key = crypto::key_from_base64(text)) return *key;
  if (!text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t id = 0;
    std::from_chars(text.data(), text.data() + text.size(), id);
    return id;
  }
  return std::string(text);
}

// --- errors ------------------------------------------------------------------------------------

HttpError http_error_from(const Error& e) {
  HttpError h;
  h.message = e.message;
  if (e.code == kNoPrivateKeyErrno) {
    h.status = 409;
    h.code = "no_private_key";
    return h;
  }
  switch (store_error_kind(e)) {
    case StoreErrorKind::kNotFound:
      h.status = 404;
      h.code = "not_found";
      break;
    case StoreErrorKind::kConflict:
      h.status = 409;
      h.code = "conflict";
      break;
    case StoreErrorKind::kSubnetFull:
      h.status = 409;
      h.code = "subnet_full";
      break;
    case StoreErrorKind::kInvalid:
      h.status = 400;
      h.code = "invalid_field";
      break;
    case StoreErrorKind::kIo:
      h.status = 500;
      h.code = "internal";
      break;
  }
  // Store messages start with the field they concern ("ipv4: 10.8.0.7 is already taken by
  // peer alice"); the request calls the extra routes "allowed_ips".
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kFields = {{
      {"name", "name"},
      {"public_key", "public_key"},
      {"private_key", "private_key"},
      {"preshared_key", "preshared_key"},
      {"ipv4", "ipv4"},
      {"ipv6", "ipv6"},
      {"extra_allowed_ips", "allowed_ips"},
      {"client_allowed_ips", "client_allowed_ips"},
      {"dns", "dns"},
      {"persistent_keepalive", "persistent_keepalive"},
      {"description", "description"},
      {"expires_at", "expires_at"},
      {"managed_by", "managed_by"},
      {"enabled", "enabled"},
      {"revision", "revision"},
  }};
  const auto colon = e.message.find(": ");
  if (colon != std::string::npos) {
    const std::string_view prefix(e.message.data(), colon);
    for (const auto& [store_name, api_name] : kFields)
      if (prefix == store_name) {
        h.field = std::string(api_name);
        if (store_name != api_name) h.message = std::string(api_name) + e.message.substr(colon);
      }
  }
  return h;
}

json error_body(std::string_view code, std::string_view message, std::string_view field) {
  json err = {{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  return json{{"error", std::move(err)}};
}

}  // namespace wgd::serve::api
