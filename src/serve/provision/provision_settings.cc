#include "serve/provision/provision_settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>

#include "serve/settings.h"
#include "serve/store/peer_validation.h"

namespace wgd::serve::provision {
namespace {

constexpr std::string_view kServerAllowedIpsPrefix = "SERVER_ALLOWEDIPS_PEER_";
// PEERS=N: the container has no limit but its subnet (a /24); ours can be larger, but a
// number this big is a typo, not a fleet of phones.
constexpr unsigned kMaxPeersNumber = 10000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Comma-separated, blanks around items ignored, empty items dropped (the container splits
// with `tr ',' '\n'`, so "a,,b" has an empty entry it then skips too).
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = s.find(',');
    if (auto item = trim(s.substr(0, comma)); !item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <class T>
std::optional<T> parse_uint(std::string_view s) {
  T n{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

Result<void> set_peers(ProvisionSettings& s, std::string_view v) {
  std::vector<std::string> entries;
  // The container: a value of digits only (no comma) is a count; anything else is a list.
  if (all_digits(v)) {
    auto n = parse_uint<unsigned>(v);
    if (!n || *n < 1 || *n > kMaxPeersNumber)
      return failf("'{}' is neither a list of names nor a number of peers (1-{})", v, kMaxPeersNumber);
    for (unsigned i = 1; i <= *n; ++i) entries.push_back(std::to_string(i));
  } else {
    entries = split_list(v);
    if (entries.empty()) return failf("'{}' lists no peer", v);
  }
  std::vector<ProvisionedName> peers;
  for (const auto& e : entries) {
    ProvisionedName p = provisioned_name(e);
    // The container skips such names with a message; a typo should not silently lose a peer.
    if (auto ok = validate_peer_name(p.name); !ok)
      return failf("'{}' cannot name a peer: letters, digits, '_', '.' and '-' only, starting "
                   "with a letter or digit, at most 63 characters (the directory is {})",
                   e, p.peer_id);
    for (const auto& q : peers) {
      std::string a = q.name, b = p.name;
      std::transform(a.begin(), a.end(), a.begin(), ::tolower);
      std::transform(b.begin(), b.end(), b.begin(), ::tolower);
      if (a == b) return failf("'{}' is listed twice (peer names ignore case)", e);
    }
    peers.push_back(std::move(p));
  }
  s.peers = std::move(peers);
  s.peers_text = std::string(v);
  return {};
}

// INTERNAL_SUBNET=10.13.13.0: the container keeps the first three numbers and puts the server
// on .1 of that /24. We take the same text, also with a prefix length (10.13.0.0/16).
Result<void> set_internal_subnet(ProvisionSettings& s, std::string_view v) {
  std::string_view addr = v;
  int length = 24;
  if (const auto slash = v.find('/'); slash != std::string_view::npos) {
    auto n = parse_uint<int>(v.substr(slash + 1));
    if (!n || *n < 8 || *n > 30) return failf("the prefix length of '{}' must be 8-30", v);
    length = *n;
    addr = v.substr(0, slash);
  }
  auto ip = IpAddress::parse(addr);
  if (!ip || !ip->is_v4()) return failf("'{}' is not an IPv4 subnet such as 10.13.13.0", v);
  const IpAddress network = ip->masked(length);
  s.internal_subnet = IpPrefix{IpAddress::v4(network.v4_host_order() + 1), length};
  return {};
}

Result<void> set_peer_dns(ProvisionSettings& s, std::string_view v) {
  if (v != "auto") {
    const auto entries = split_list(v);
    if (entries.empty()) return failf("'{}' lists no DNS server", v);
    for (const auto& e : entries)
      if (!validate_dns_entry(e)) return failf("'{}' is neither an IP address nor a domain name", e);
  }
  s.peer_dns = std::string(v);
  return {};
}

Result<void> set_allowed_ips(ProvisionSettings& s, std::string_view v) {
  std::vector<IpPrefix> out;
  for (const auto& item : split_list(v)) {
    auto p = IpPrefix::parse(item);
    if (!p) return failf("'{}' is not an address or CIDR prefix", item);
    out.push_back(p->canonical());
  }
  if (out.empty()) return failf("'{}' lists no prefix", v);
  s.allowed_ips = std::move(out);
  s.allowed_ips_text = std::string(v);
  return {};
}

Result<void> set_keepalive_peers(ProvisionSettings& s, std::string_view v) {
  auto names = split_list(v);
  if (names.empty()) return failf("'{}' lists no peer", v);
  s.keepalive_all = names.size() == 1 && names.front() == "all";
  s.keepalive_peers = s.keepalive_all ? std::vector<std::string>{} : std::move(names);
  return {};
}

// The container prints QR codes when LOG_CONFS is empty or exactly "true"; we also take the
// other spellings of a boolean, and refuse anything else rather than guess.
Result<void> set_log_confs(ProvisionSettings& s, std::string_view v) {
  for (auto t : {"true", "1", "yes", "on"}) {
    if (v != t) continue;
    s.log_confs = true;
    return {};
  }
  for (auto f : {"false", "0", "no", "off"}) {
    if (v != f) continue;
    s.log_confs = false;
    return {};
  }
  return failf("'{}' is not a boolean (true/false)", v);
}

Result<void> set_config_dir(ProvisionSettings& s, std::string_view v) {
  if (!v.starts_with('/')) return failf("'{}' is not an absolute directory path", v);
  s.config_dir = std::filesystem::path(v).lexically_normal().string();
  if (s.config_dir.size() > 1 && s.config_dir.back() == '/') s.config_dir.pop_back();
  return {};
}

template <class Id>
Result<Id> parse_id(std::string_view v) {
  auto n = parse_uint<std::uint32_t>(v);
  // (uid_t)-1 means "unchanged" to chown(2).
  if (!n || *n == 0xffffffffu) return failf("'{}' is not a numeric user or group id", v);
  return static_cast<Id>(*n);
}

Result<void> set_server_allowed_ips(ProvisionSettings& s, std::string_view entry, std::string_view v) {
  std::vector<IpPrefix> out;
  for (const auto& item : split_list(v)) {
    auto p = IpPrefix::parse(item);
    if (!p) return failf("'{}' is not an address or CIDR prefix", item);
    out.push_back(p->canonical());
  }
  if (out.empty()) return failf("'{}' lists no prefix", v);
  s.server_allowed_ips[std::string(entry)] = std::move(out);
  s.server_allowed_ips_text[std::string(entry)] = std::string(v);
  return {};
}

struct Shown {
  std::string_view name;
  std::string (*show)(const ProvisionSettings&);
};

const Shown kShown[] = {
    {"PEERS", [](const ProvisionSettings& s) { return s.peers_text.empty() ? std::string("(unset: provisioning off)") : s.peers_text; }},
    {"WGD_CONFIG_DIR", [](const ProvisionSettings& s) { return s.config_dir; }},
    {"INTERNAL_SUBNET", [](const ProvisionSettings& s) {
       return s.internal_subnet ? s.internal_subnet->canonical().to_string()
                                : std::string("(unset: WGD_IPV4_ADDRESS if given, else 10.13.13.0/24)");
     }},
    {"PEERDNS", [](const ProvisionSettings& s) { return s.peer_dns; }},
    {"ALLOWEDIPS", [](const ProvisionSettings& s) { return s.allowed_ips_text; }},
    {"PERSISTENTKEEPALIVE_PEERS", [](const ProvisionSettings& s) {
       if (s.keepalive_all) return std::string("all");
       std::string out;
       for (const auto& n : s.keepalive_peers) out += (out.empty() ? "" : ",") + n;
       return out.empty() ? std::string("(none)") : out;
     }},
    {"LOG_CONFS", [](const ProvisionSettings& s) { return std::string(s.log_confs ? "true" : "false"); }},
    {"PUID", [](const ProvisionSettings& s) { return s.puid ? std::to_string(*s.puid) : std::string("(unchanged)"); }},
    {"PGID", [](const ProvisionSettings& s) { return s.pgid ? std::to_string(*s.pgid) : std::string("(unchanged)"); }},
};

}  // namespace

ProvisionedName provisioned_name(std::string_view entry) {
  ProvisionedName p;
  p.entry = std::string(entry);
  if (all_digits(entry)) {
    p.peer_id = "peer" + p.entry;
    p.name = p.peer_id;
  } else {
    p.peer_id = "peer_" + p.entry;
    p.name = p.entry;
  }
  return p;
}

bool ProvisionSettings::keepalive_for(const ProvisionedName& p) const {
  return keepalive_all ||
         std::find(keepalive_peers.begin(), keepalive_peers.end(), p.entry) != keepalive_peers.end();
}

bool is_provision_setting(std::string_view name) {
  for (const auto& s : kShown)
    if (s.name == name) return true;
  return name.starts_with(kServerAllowedIpsPrefix) && name.size() > kServerAllowedIpsPrefix.size();
}

Result<void> apply_provision_setting(ProvisionSettings& s, std::string_view name,
                                     std::string_view value, std::string_view origin) {
  Result<void> ok;
  if (name == "PEERS") {
    ok = set_peers(s, value);
  } else if (name == "WGD_CONFIG_DIR") {
    ok = set_config_dir(s, value);
  } else if (name == "INTERNAL_SUBNET") {
    ok = set_internal_subnet(s, value);
  } else if (name == "PEERDNS") {
    ok = set_peer_dns(s, value);
  } else if (name == "ALLOWEDIPS") {
    ok = set_allowed_ips(s, value);
  } else if (name == "PERSISTENTKEEPALIVE_PEERS") {
    ok = set_keepalive_peers(s, value);
  } else if (name == "LOG_CONFS") {
    ok = set_log_confs(s, value);
  } else if (name == "PUID") {
    auto id = parse_id<uid_t>(value);
    if (!id) return std::unexpected(id.error());
    s.puid = *id;
  } else if (name == "PGID") {
    auto id = parse_id<gid_t>(value);
    if (!id) return std::unexpected(id.error());
    s.pgid = *id;
  } else if (name.starts_with(kServerAllowedIpsPrefix)) {
    ok = set_server_allowed_ips(s, name.substr(kServerAllowedIpsPrefix.size()), value);
  } else {
    return failf("not a provisioning setting");
  }
  if (ok) s.origins[std::string(name)] = std::string(origin);
  return ok;
}

Result<void> finish_provision_settings(ServerSettings& s, std::string_view ipv4_origin) {
  ProvisionSettings& p = s.provision;
  const auto origin = [&](std::string_view name) {
    auto it = p.origins.find(name);
    return it == p.origins.end() ? std::string("default") : it->second;
  };
  if (!p.enabled()) return {};
  const bool ipv4_given = ipv4_origin != "default";
  if (p.internal_subnet) {
    if (ipv4_given && s.ipv4_address && *s.ipv4_address != *p.internal_subnet)
      return failf("INTERNAL_SUBNET ({}) puts the server on {}, but WGD_IPV4_ADDRESS ({}) says "
                   "{}: give one of them",
                   origin("INTERNAL_SUBNET"), p.internal_subnet->to_string(), ipv4_origin,
                   s.ipv4_address->to_string());
    if (!ipv4_given) s.ipv4_address = p.internal_subnet;
  } else if (!ipv4_given) {
    // The container's default: INTERNAL_SUBNET=10.13.13.0.
    s.ipv4_address = IpPrefix::parse("10.13.13.1/24");
  }
  if (!s.ipv4_address)
    return failf("PEERS ({}): provisioned peers need an IPv4 tunnel subnet, but WGD_IPV4_ADDRESS "
                 "({}) is 'none'",
                 origin("PEERS"), ipv4_origin);
  const auto listed = [&](std::string_view entry) {
    return std::any_of(p.peers.begin(), p.peers.end(), [&](const auto& q) { return q.entry == entry; });
  };
  for (const auto& name : p.keepalive_peers)
    if (!listed(name))
      return failf("PERSISTENTKEEPALIVE_PEERS ({}): '{}' is not in PEERS", origin("PERSISTENTKEEPALIVE_PEERS"), name);
  for (const auto& [entry, prefixes] : p.server_allowed_ips) {
    const std::string var = std::string(kServerAllowedIpsPrefix) + entry;
    if (!listed(entry)) return failf("{} ({}): '{}' is not in PEERS", var, origin(var), entry);
    for (const auto& r : prefixes)
      if (s.ipv4_address->canonical().overlaps(r))
        return failf("{} ({}): {} overlaps the tunnel subnet {}", var, origin(var), r.to_string(),
                     s.ipv4_address->canonical().to_string());
  }
  return {};
}

std::vector<std::string> describe_provision_settings(const ProvisionSettings& s) {
  std::vector<std::string> out;
  if (!s.enabled() && s.origins.empty()) return out;
  const auto origin = [&](std::string_view name) {
    auto it = s.origins.find(name);
    return it == s.origins.end() ? std::string("default") : it->second;
  };
  for (const auto& shown : kShown)
    out.push_back(fmt::format("{}={} ({})", shown.name, shown.show(s), origin(shown.name)));
  for (const auto& [entry, text] : s.server_allowed_ips_text) {
    const std::string var = std::string(kServerAllowedIpsPrefix) + entry;
    out.push_back(fmt::format("{}={} ({})", var, text, origin(var)));
  }
  return out;
}

std::vector<std::string> provision_setting_names() {
  std::vector<std::string> out;
  for (const auto& s : kShown) out.emplace_back(s.name);
  out.push_back(std::string(kServerAllowedIpsPrefix) + "<name>");
  return out;
}

}  // namespace wgd::serve::provision
