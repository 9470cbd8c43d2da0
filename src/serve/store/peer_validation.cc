#include "serve/store/peer_validation.h"

#include <algorithm>

#include "crypto/x25519.h"
#include "serve/store/store_error.h"

namespace wgd::serve {
namespace {

constexpr std::size_t kMaxNameLength = 63;
constexpr std::size_t kMaxDescriptionBytes = 1024;
constexpr std::size_t kMaxPrefixes = 4096;  // far beyond any real site-to-site table
constexpr std::size_t kMaxDnsEntries = 32;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Result<void> check_chars(std::string_view field, std::string_view text, std::size_t max_len,
                         std::string_view extra_chars) {
  if (text.empty()) return store_failf(StoreErrorKind::kInvalid, "{}: must not be empty", field);
  if (text.size() > max_len)
    return store_failf(StoreErrorKind::kInvalid, "{}: longer than {} characters", field, max_len);
  for (char c : text)
    if (!is_alnum(c) && extra_chars.find(c) == std::string_view::npos)
      return store_failf(StoreErrorKind::kInvalid, "{}: '{}' has a character outside [A-Za-z0-9{}]",
                         field, text, extra_chars);
  return {};
}

// A host name label: letters, digits and hyphens, not starting or ending with a hyphen.
bool is_dns_label(std::string_view l) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

Result<std::vector<IpPrefix>> canonical_prefixes(std::string_view field,
                                                 const std::vector<IpPrefix>& in) {
  if (in.size() > kMaxPrefixes)
    return store_failf(StoreErrorKind::kInvalid, "{}: more than {} entries", field, kMaxPrefixes);
  std::vector<IpPrefix> out;
  out.reserve(in.size());
  for (const IpPrefix& p : in) {
    IpPrefix c = p.canonical();
    if (std::find(out.begin(), out.end(), c) != out.end())
      return store_failf(StoreErrorKind::kInvalid, "{}: {} is listed twice", field, c.to_string());
    out.push_back(c);
  }
  return out;
}

// Routes behind a peer may cover the tunnel subnet (0.0.0.0/0 for an exit peer is fine: the
// peers' host routes are more specific), but never lie inside it: that would take tunnel
// addresses away from the peers they were, or will be, allocated to.
Result<std::vector<IpPrefix>> checked_extra_routes(const std::vector<IpPrefix>& in,
                                                   const AddressPool& pool) {
  auto routes = canonical_prefixes("extra_allowed_ips", in);
  if (!routes) return routes;
  for (const IpPrefix& r : *routes)
    for (const auto* s : {&pool.v4, &pool.v6})
      if (*s && r.length >= (*s)->subnet.length && (*s)->subnet.contains(r.address))
        return store_failf(StoreErrorKind::kInvalid,
                           "extra_allowed_ips: {} lies inside the tunnel subnet {}", r.to_string(),
                           (*s)->subnet.canonical().to_string());
  return routes;
}

Result<std::vector<std::string>> checked_dns(const std::vector<std::string>& in) {
  if (in.size() > kMaxDnsEntries)
    return store_failf(StoreErrorKind::kInvalid, "dns: more than {} entries", kMaxDnsEntries);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (auto ok = validate_dns_entry(in[i]); !ok) return std::unexpected(ok.error());
    if (std::find(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(i), in[i]) !=
        in.begin() + static_cast<std::ptrdiff_t>(i))
      return store_failf(StoreErrorKind::kInvalid, "dns: {} is listed twice", in[i]);
  }
  return in;
}

Result<void> resolve_keys(const KeyMaterial& keys, PeerRecord& out) {
  if (keys.private_key) {
    if (keys.private_key->is_zero())
      return store_fail(StoreErrorKind::kInvalid, "private_key: must not be all zeros");
    crypto::PublicKey derived = crypto::x25519_public(*keys.private_key);
    if (keys.public_key && *keys.public_key != derived)
      return store_fail(StoreErrorKind::kInvalid,
                        "public_key: does not belong to the given private_key");
    out.private_key = keys.private_key->clone();
    out.public_key = derived;
    return {};
  }
  if (keys.public_key) {
    if (std::all_of(keys.public_key->begin(), keys.public_key->end(),
                    [](std::uint8_t b) { return b == 0; }))
      return store_fail(StoreErrorKind::kInvalid, "public_key: must not be all zeros");
    out.private_key.reset();  // the client keeps its private key
    out.public_key = *keys.public_key;
    return {};
  }
  out.private_key = crypto::x25519_generate();
  out.public_key = crypto::x25519_public(*out.private_key);
  return {};
}

Result<void> check_expiry(const std::optional<std::int64_t>& at) {
  if (at && *at < 0)
    return store_fail(StoreErrorKind::kInvalid, "expires_at: must be a Unix time (>= 0)");
  return {};
}

std::optional<std::uint16_t> normal_keepalive(std::optional<std::uint16_t> k) {
  return k && *k == 0 ? std::nullopt : k;  // 0 means "off", as in wg(8)
}

}  // namespace

Result<void> validate_peer_name(std::string_view name) {
  if (auto ok = check_chars("name", name, kMaxNameLength, "_.-"); !ok) return ok;
  if (!is_alnum(name.front()))
    return store_failf(StoreErrorKind::kInvalid, "name: '{}' must start with a letter or digit",
                       name);
  return {};
}

Result<void> validate_managed_by(std::string_view tag) {
  return check_chars("managed_by", tag, 63, "_.:-");
}

Result<void> validate_setting_key(std::string_view key) {
  return check_chars("setting key", key, 128, "_.:-");
}

Result<void> validate_description(std::string_view text) {
  if (text.size() > kMaxDescriptionBytes)
    return store_failf(StoreErrorKind::kInvalid, "description: longer than {} bytes",
                       kMaxDescriptionBytes);
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f)
      return store_fail(StoreErrorKind::kInvalid,
                        "description: control characters (newline, tab, ...) are not allowed");
  return {};
}

Result<void> validate_dns_entry(std::string_view entry) {
  if (IpAddress::parse(entry)) return {};
  std::string_view name = entry;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  bool ok = !name.empty() && name.size() <= 253;
  while (ok && !name.empty()) {
    auto dot = name.find('.');
    ok = is_dns_label(name.substr(0, dot));
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    if (dot != std::string_view::npos && name.empty()) ok = false;  // "a..b" or "a.."
  }
  if (!ok)
    return store_failf(StoreErrorKind::kInvalid,
                       "dns: '{}' is neither an IP address nor a domain name", entry);
  return {};
}

Result<PeerRecord> draft_peer(const NewPeer& spec, const AddressPool& pool) {
  PeerRecord r;
  if (auto ok = validate_peer_name(spec.name); !ok) return std::unexpected(ok.error());
  r.name = spec.name;
  if (auto ok = resolve_keys(spec.keys, r); !ok) return std::unexpected(ok.error());
  if (spec.preshared_key) r.preshared_key = spec.preshared_key->clone();
  auto extra = checked_extra_routes(spec.extra_allowed_ips, pool);
  if (!extra) return std::unexpected(extra.error());
  r.extra_allowed_ips = std::move(*extra);
  auto client = canonical_prefixes("client_allowed_ips", spec.client_allowed_ips);
  if (!client) return std::unexpected(client.error());
  r.client_allowed_ips = std::move(*client);
  auto dns = checked_dns(spec.dns);
  if (!dns) return std::unexpected(dns.error());
  r.dns = std::move(*dns);
  r.persistent_keepalive = normal_keepalive(spec.persistent_keepalive);
  if (auto ok = validate_description(spec.description); !ok) return std::unexpected(ok.error());
  r.description = spec.description;
  r.enabled = spec.enabled;
  if (auto ok = check_expiry(spec.expires_at); !ok) return std::unexpected(ok.error());
  r.expires_at = spec.expires_at;
  if (auto ok = validate_managed_by(spec.managed_by); !ok) return std::unexpected(ok.error());
  r.managed_by = spec.managed_by;
  return r;
}

Result<void> apply_update(PeerRecord& r, const PeerUpdate& u, const AddressPool& pool) {
  if (u.name) {
    if (auto ok = validate_peer_name(*u.name); !ok) return ok;
    r.name = *u.name;
  }
  if (u.keys)
    if (auto ok = resolve_keys(*u.keys, r); !ok) return ok;
  if (u.preshared_key)
    r.preshared_key = *u.preshared_key ? std::optional((*u.preshared_key)->clone()) : std::nullopt;
  if (u.extra_allowed_ips) {
    auto extra = checked_extra_routes(*u.extra_allowed_ips, pool);
    if (!extra) return std::unexpected(extra.error());
    r.extra_allowed_ips = std::move(*extra);
  }
  if (u.client_allowed_ips) {
    auto client = canonical_prefixes("client_allowed_ips", *u.client_allowed_ips);
    if (!client) return std::unexpected(client.error());
    r.client_allowed_ips = std::move(*client);
  }
  if (u.dns) {
    auto dns = checked_dns(*u.dns);
    if (!dns) return std::unexpected(dns.error());
    r.dns = std::move(*dns);
  }
  if (u.persistent_keepalive) r.persistent_keepalive = normal_keepalive(*u.persistent_keepalive);
  if (u.description) {
    if (auto ok = validate_description(*u.description); !ok) return ok;
    r.description = *u.description;
  }
  if (u.enabled) r.enabled = *u.enabled;
  if (u.expires_at) {
    if (auto ok = check_expiry(*u.expires_at); !ok) return ok;
    r.expires_at = *u.expires_at;
  }
  if (u.managed_by) {
    if (auto ok = validate_managed_by(*u.managed_by); !ok) return ok;
    r.managed_by = *u.managed_by;
  }
  return {};
}

}  // namespace wgd::serve
