// Resolution of `wgd serve`'s settings: defaults < config file < environment < flags.
//
// One table lists every name that can be given (canonical WGD_ names and the seed users'
// aliases) with the function that parses its value into ServerSettings; a second lists the
// canonical settings with how to print them. Errors always read "NAME (ORIGIN): what is wrong"
// and never contain the value of a key.
#include "serve/settings.h"

#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>

#include "crypto/key_codec.h"
#include "serve/listen_address.h"
#include "serve/fleet/fleet_settings.h"
#include "serve/provision/provision_settings.h"
#include "serve/store/peer_validation.h"
#include "uapi/uapi_paths.h"

namespace wgd::serve {
namespace {

using Apply = Result<void> (*)(ServerSettings&, std::string_view);

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const auto comma = s.find(',');
    auto item = trim(s.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

template <class T>
Result<T> parse_number(std::string_view v, T min, T max, std::string_view what) {
  T n{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max)
    return failf("'{}' is not {} ({}-{})", v, what, min, max);
  return n;
}

Result<std::uint16_t> parse_port(std::string_view v) {
  return parse_number<std::uint16_t>(v, 1, 65535, "a port number");
}

Result<bool> parse_bool(std::string_view v) {
  for (auto t : {"1", "true", "yes", "on"})
    if (v == t) return true;
  for (auto f : {"0", "false", "no", "off"})
    if (v == f) return false;
  return failf("'{}' is not a boolean (true/false, yes/no, on/off, 1/0)", v);
}

Result<bool> parse_auth(std::string_view v) {
  for (auto t : {"token", "bearer", "on", "true", "yes", "1"})
    if (v == t) return true;
  for (auto f : {"none", "off", "false", "no", "0"})
    if (v == f) return false;
  return failf("'{}' is neither 'token' nor 'none'", v);
}

// A host name (RFC 1123 labels) or an IP literal; what a client config's Endpoint may carry.
bool valid_host(std::string_view h) {
  if (IpAddress::parse(h)) return true;
  if (h.empty() || h.size() > 253) return false;
  std::size_t label_len = 0;
  for (char c : h) {
    if (c == '.') {
      if (label_len == 0) return false;
      label_len = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      if (++label_len > 63) return false;
    } else {
      return false;
    }
  }
  return label_len > 0;
}

// The server's tunnel address with the subnet's length. The network address stands for "the
// subnet" and gives its first host address (10.8.0.0/24 -> 10.8.0.1/24), so both ways of
// writing it (WG_SUBNET=192.168.2.1/24, WGD_IPV4_ADDRESS=10.8.0.0/24) work.
Result<IpPrefix> parse_server_address(std::string_view v, IpAddress::Family family) {
  const int v4 = family == IpAddress::Family::kV4;
  auto p = IpPrefix::parse(v);
  if (!p || v.find('/') == std::string_view::npos)
    return failf("'{}' is not an address with a prefix length (e.g. {})", v,
                 v4 ? "10.8.0.1/24" : "fd00:8::1/64");
  if (p->address.family() != family) return failf("'{}' is not an IPv{} address", v, v4 ? 4 : 6);
  const int max_len = v4 ? 30 : 126;
  if (p->length < (v4 ? 8 : 48) || p->length > max_len)
    return failf("the prefix length of '{}' must be {}-{}", v, v4 ? 8 : 48, max_len);
  const IpPrefix net = p->canonical();
  if (p->address == net.address) {
    auto bytes = net.address;
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), bytes.bytes(), bytes.byte_length());
    b[bytes.byte_length() - 1] |= 1;
    p->address = v4 ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  }
  if (v4) {
    const std::uint32_t host_mask = p->length == 32 ? 0 : (0xffffffffu >> p->length);
    if ((p->address.v4_host_order() & host_mask) == host_mask)
      return failf("'{}' is the broadcast address of its subnet", v);
  }
  return *p;
}

Result<std::vector<IpPrefix>> parse_prefix_list(std::string_view v) {
  std::vector<IpPrefix> out;
  for (auto item : split_list(v)) {
    auto p = IpPrefix::parse(item);
    if (!p) return failf("'{}' is not an address or CIDR prefix", item);
    out.push_back(p->canonical());
  }
  if (out.empty()) return fail("no prefix given");
  return out;
}

Result<std::chrono::seconds> parse_interval(std::string_view v) {
  std::int64_t unit = 1;
  std::string_view digits = v;
  if (!v.empty() && (v.back() == 's' || v.back() == 'm' || v.back() == 'h')) {
    unit = v.back() == 'h' ? 3600 : v.back() == 'm' ? 60 : 1;
    digits.remove_suffix(1);
  }
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n < 1 ||
      n * unit > 86400)
    return failf("'{}' is not a duration of 1 s to 1 day (e.g. 10, 10s, 5m)", v);
  return std::chrono::seconds(n * unit);
}

// --- one apply function per name ------------------------------------------------------------

Result<void> set_data_dir(ServerSettings& s, std::string_view v) {
  s.data_dir = std::filesystem::absolute(std::filesystem::path(v)).lexically_normal().string();
  if (s.data_dir.size() > 1 && s.data_dir.back() == '/') s.data_dir.pop_back();
  return {};
}
Result<void> set_database(ServerSettings& s, std::string_view v) {
  s.database = std::string(v);
  return {};
}
Result<void> set_interface(ServerSettings& s, std::string_view v) {
  if (auto ok = uapi::validate_interface_name(v); !ok) return ok;
  s.interface = std::string(v);
  return {};
}
Result<void> set_listen_port(ServerSettings& s, std::string_view v) {
  auto p = parse_port(v);
  if (!p) return std::unexpected(p.error());
  s.listen_port = *p;
  return {};
}
Result<void> set_ipv4(ServerSettings& s, std::string_view v) {
  if (v == "none") {
    s.ipv4_address.reset();
    return {};
  }
  auto p = parse_server_address(v, IpAddress::Family::kV4);
  if (!p) return std::unexpected(p.error());
  s.ipv4_address = *p;
  return {};
}
Result<void> set_ipv6(ServerSettings& s, std::string_view v) {
  s.ipv6_address.reset();
  s.ipv6_enabled = v != "none";
  if (v == "none" || v == "auto") return {};
  auto p = parse_server_address(v, IpAddress::Family::kV6);
  if (!p) return std::unexpected(p.error());
  s.ipv6_address = *p;
  return {};
}
Result<void> set_api_listen(ServerSettings& s, std::string_view v) {
  auto a = parse_listen_address(v);
  if (!a) return std::unexpected(a.error());
  s.api_listen = a->to_string();
  return {};
}
// seed 003: API_PORT=N listens on every address.
Result<void> set_api_port(ServerSettings& s, std::string_view v) {
  auto p = parse_port(v);
  if (!p) return std::unexpected(p.error());
  s.api_listen = "0.0.0.0:" + std::to_string(*p);
  return {};
}
Result<void> set_api_auth(ServerSettings& s, std::string_view v) {
  auto b = parse_auth(v);
  if (!b) return std::unexpected(b.error());
  s.api_auth = *b;
  return {};
}
Result<void> set_compat_auth(ServerSettings& s, std::string_view v) {
  auto b = parse_auth(v);
  if (!b) return std::unexpected(b.error());
  s.compat_auth = *b;
  return {};
}
Result<void> set_metrics_auth(ServerSettings& s, std::string_view v) {
  auto b = parse_auth(v);
  if (!b) return std::unexpected(b.error());
  s.metrics_auth = *b;
  return {};
}
// "auto", "host", "host:port", "[v6]:port" or a bare IPv6 address.
Result<void> set_endpoint(ServerSettings& s, std::string_view v) {
  if (v == "auto") {
    s.endpoint_host = "auto";
    return {};
  }
  std::string_view host = v;
  std::optional<std::uint16_t> port;
  if (v.starts_with('[')) {
    const auto close = v.find(']');
    if (close == std::string_view::npos) return failf("'{}' lacks the closing ']'", v);
    host = v.substr(1, close - 1);
    if (close + 1 != v.size()) {
      if (v[close + 1] != ':') return failf("'{}' is not [IPV6]:PORT", v);
      auto p = parse_port(v.substr(close + 2));
      if (!p) return std::unexpected(p.error());
      port = *p;
    }
    if (auto ip = IpAddress::parse(host); !ip || !ip->is_v6())
      return failf("'{}' is not an IPv6 address", host);
  } else if (v.find(':') != v.rfind(':')) {
    // Two or more colons: a bare IPv6 address.
  } else if (const auto colon = v.find(':'); colon != std::string_view::npos) {
    host = v.substr(0, colon);
    auto p = parse_port(v.substr(colon + 1));
    if (!p) return std::unexpected(p.error());
    port = *p;
  }
  if (!valid_host(host)) return failf("'{}' is not a host name or IP address", host);
  s.endpoint_host = std::string(host);
  if (port) s.endpoint_port = port;
  return {};
}
// SERVER_IP / SERVERURL: a host only (linuxserver's SERVERURL also takes "auto").
Result<void> set_endpoint_host(ServerSettings& s, std::string_view v) {
  if (v != "auto" && !valid_host(v)) return failf("'{}' is not a host name or IP address", v);
  s.endpoint_host = std::string(v);
  return {};
}
Result<void> set_endpoint_port(ServerSettings& s, std::string_view v) {
  auto p = parse_port(v);
  if (!p) return std::unexpected(p.error());
  s.endpoint_port = *p;
  return {};
}
Result<void> set_client_allowed_ips(ServerSettings& s, std::string_view v) {
  auto l = parse_prefix_list(v);
  if (!l) return std::unexpected(l.error());
  s.client_allowed_ips = std::move(*l);
  return {};
}
Result<void> set_client_dns(ServerSettings& s, std::string_view v) {
  std::vector<std::string> dns;
  for (auto item : split_list(v)) {
    if (auto ok = validate_dns_entry(item); !ok) return failf("'{}' is neither an IP address nor a domain name", item);
    dns.emplace_back(item);
  }
  s.client_dns = std::move(dns);
  return {};
}
Result<void> set_client_keepalive(ServerSettings& s, std::string_view v) {
  auto n = parse_number<std::uint16_t>(v, 0, 65535, "a number of seconds");
  if (!n) return std::unexpected(n.error());
  s.client_persistent_keepalive = *n ? std::optional<std::uint16_t>(*n) : std::nullopt;
  return {};
}
Result<void> set_mtu(ServerSettings& s, std::string_view v) {
  auto n = parse_number<std::uint32_t>(v, 1280, 65535, "an MTU");
  if (!n) return std::unexpected(n.error());
  s.mtu = *n;
  return {};
}
Result<void> set_private_key(ServerSettings& s, std::string_view v) {
  // Never quote the value: it is the server's secret.
  if (!crypto::secret_key_from_base64(v))
    return fail("not a WireGuard private key (44 characters of base64, as `wg genkey` prints)");
  s.private_key_text = std::string(v);
  return {};
}
Result<void> set_device(ServerSettings& s, std::string_view v) {
  if (v != "inprocess") {
    if (!v.starts_with("uapi:") || v.size() == 5)
      return failf("'{}' is neither 'inprocess' nor 'uapi:PATH' (or 'uapi:IFNAME')", v);
    if (auto path = uapi::resolve_socket_path(v.substr(5)); !path) return std::unexpected(path.error());
  }
  s.device = std::string(v);
  return {};
}
Result<void> set_reconcile_interval(ServerSettings& s, std::string_view v) {
  auto d = parse_interval(v);
  if (!d) return std::unexpected(d.error());
  s.reconcile_interval = *d;
  return {};
}
Result<void> set_hosts_file(ServerSettings& s, std::string_view v) {
  if (v != "none" && !v.starts_with('/')) return failf("'{}' is neither 'none' nor an absolute path", v);
  s.hosts_file = std::string(v);
  return {};
}
Result<void> set_hosts_domain(ServerSettings& s, std::string_view v) {
  if (!valid_host(v) || IpAddress::parse(v)) return failf("'{}' is not a domain name", v);
  s.hosts_domain = std::string(v);
  return {};
}
Result<void> set_verbose(ServerSettings& s, std::string_view v) {
  auto b = parse_bool(v);
  if (!b) return std::unexpected(b.error());
  s.verbose = *b;
  return {};
}
Result<void> set_config(ServerSettings& s, std::string_view v) {
  s.config_file = std::string(v);
  return {};
}

struct Definition {
  std::string_view name;     // as given
  std::string_view setting;  // the canonical name it sets
  Apply apply;
};

constexpr Definition kDefinitions[] = {
    {"WGD_CONFIG", "WGD_CONFIG", set_config},
    {"WGD_DATA_DIR", "WGD_DATA_DIR", set_data_dir},
    {"WGD_DATABASE", "WGD_DATABASE", set_database},
    {"WGD_INTERFACE", "WGD_INTERFACE", set_interface},
    {"WGD_LISTEN_PORT", "WGD_LISTEN_PORT", set_listen_port},
    {"WG_PORT", "WGD_LISTEN_PORT", set_listen_port},
    {"WGD_IPV4_ADDRESS", "WGD_IPV4_ADDRESS", set_ipv4},
    {"WG_SUBNET", "WGD_IPV4_ADDRESS", set_ipv4},
    {"WGD_IPV6_ADDRESS", "WGD_IPV6_ADDRESS", set_ipv6},
    {"WGD_API_LISTEN", "WGD_API_LISTEN", set_api_listen},
    {"API_PORT", "WGD_API_LISTEN", set_api_port},
    {"WGD_API_AUTH", "WGD_API_AUTH", set_api_auth},
    {"WGD_COMPAT_AUTH", "WGD_COMPAT_AUTH", set_compat_auth},
    {"WGD_METRICS_AUTH", "WGD_METRICS_AUTH", set_metrics_auth},
    {"WGD_ENDPOINT", "WGD_ENDPOINT", set_endpoint},
    {"SERVER_IP", "WGD_ENDPOINT", set_endpoint_host},
    {"SERVERURL", "WGD_ENDPOINT", set_endpoint_host},
    {"WGD_ENDPOINT_PORT", "WGD_ENDPOINT_PORT", set_endpoint_port},
    {"SERVERPORT", "WGD_ENDPOINT_PORT", set_endpoint_port},
    {"WGD_CLIENT_ALLOWED_IPS", "WGD_CLIENT_ALLOWED_IPS", set_client_allowed_ips},
    {"PEER_ALLOWED_IPS", "WGD_CLIENT_ALLOWED_IPS", set_client_allowed_ips},
    {"WGD_CLIENT_DNS", "WGD_CLIENT_DNS", set_client_dns},
    {"WGD_CLIENT_KEEPALIVE", "WGD_CLIENT_KEEPALIVE", set_client_keepalive},
    {"WGD_MTU", "WGD_MTU", set_mtu},
    {"WGD_PRIVATE_KEY", "WGD_PRIVATE_KEY", set_private_key},
    {"WG_PRIVATE_KEY", "WGD_PRIVATE_KEY", set_private_key},
    {"WGD_DEVICE", "WGD_DEVICE", set_device},
    {"WGD_RECONCILE_INTERVAL", "WGD_RECONCILE_INTERVAL", set_reconcile_interval},
    {"WGD_HOSTS_FILE", "WGD_HOSTS_FILE", set_hosts_file},
    {"WGD_HOSTS_DOMAIN", "WGD_HOSTS_DOMAIN", set_hosts_domain},
    {"WGD_VERBOSE", "WGD_VERBOSE", set_verbose},
};

const Definition* find_definition(std::string_view name) {
  for (const auto& d : kDefinitions)
    if (d.name == name) return &d;
  return nullptr;
}

// Issue 6: provisioning (PEERS, PEERDNS, ...) and fleet sync (WGD_FLEET_*) parse their own
// variables into ServerSettings::provision and ::fleet; they have no aliases.
bool is_extension_setting(std::string_view name) {
  return provision::is_provision_setting(name) || fleet::is_fleet_setting(name);
}
Result<void> apply_extension_setting(ServerSettings& s, const SettingsInput& in, std::string_view value) {
  if (provision::is_provision_setting(in.name))
    return provision::apply_provision_setting(s.provision, in.name, value, in.origin);
  return fleet::apply_fleet_setting(s.fleet, in.name, value, in.origin);
}

std::string join(const auto& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ',';
    if constexpr (requires { i.to_string(); })
      out += i.to_string();
    else
      out += i;
  }
  return out;
}

// Each canonical setting with how to print its value in the summary.
struct Shown {
  std::string_view name;
  std::string (*show)(const ServerSettings&);
};

const Shown kShown[] = {
    {"WGD_CONFIG", [](const ServerSettings& s) { return s.config_file.empty() ? std::string("(none)") : s.config_file; }},
    {"WGD_DATA_DIR", [](const ServerSettings& s) { return s.data_dir; }},
    {"WGD_DATABASE", [](const ServerSettings& s) { return s.database_url(); }},
    {"WGD_INTERFACE", [](const ServerSettings& s) { return s.interface; }},
    {"WGD_LISTEN_PORT", [](const ServerSettings& s) { return std::to_string(s.listen_port); }},
    {"WGD_IPV4_ADDRESS", [](const ServerSettings& s) { return s.ipv4_address ? s.ipv4_address->to_string() : std::string("none"); }},
    {"WGD_IPV6_ADDRESS", [](const ServerSettings& s) {
       if (!s.ipv6_enabled) return std::string("none");
       return s.ipv6_address ? s.ipv6_address->to_string() : std::string("auto (random RFC 4193 /64)");
     }},
    {"WGD_API_LISTEN", [](const ServerSettings& s) { return s.api_listen; }},
    {"WGD_API_AUTH", [](const ServerSettings& s) { return std::string(s.api_auth ? "token" : "none"); }},
    {"WGD_COMPAT_AUTH", [](const ServerSettings& s) { return std::string(s.compat_auth ? "token" : "none"); }},
    {"WGD_METRICS_AUTH", [](const ServerSettings& s) { return std::string(s.metrics_auth ? "token" : "none"); }},
    {"WGD_ENDPOINT", [](const ServerSettings& s) { return s.endpoint_host.empty() ? std::string("auto") : s.endpoint_host; }},
    {"WGD_ENDPOINT_PORT", [](const ServerSettings& s) { return std::to_string(s.endpoint_port.value_or(s.listen_port)); }},
    {"WGD_CLIENT_ALLOWED_IPS", [](const ServerSettings& s) {
       return s.client_allowed_ips.empty() ? std::string("0.0.0.0/0,::/0 (::/0 only with IPv6)")
                                           : join(s.client_allowed_ips);
     }},
    {"WGD_CLIENT_DNS", [](const ServerSettings& s) { return s.client_dns.empty() ? std::string("(none)") : join(s.client_dns); }},
    {"WGD_CLIENT_KEEPALIVE", [](const ServerSettings& s) { return std::to_string(s.client_persistent_keepalive.value_or(0)); }},
    {"WGD_MTU", [](const ServerSettings& s) { return std::to_string(s.mtu); }},
    {"WGD_PRIVATE_KEY", [](const ServerSettings& s) { return std::string(s.private_key_text ? "(set)" : "(unset: stored or generated)"); }},
    {"WGD_DEVICE", [](const ServerSettings& s) { return s.device; }},
    {"WGD_RECONCILE_INTERVAL", [](const ServerSettings& s) { return std::to_string(s.reconcile_interval.count()) + "s"; }},
    {"WGD_HOSTS_FILE", [](const ServerSettings& s) { return s.hosts_file; }},
    {"WGD_HOSTS_DOMAIN", [](const ServerSettings& s) { return s.hosts_domain; }},
    {"WGD_VERBOSE", [](const ServerSettings& s) { return std::string(s.verbose ? "true" : "false"); }},
};

// Applies one layer: aliases first, so that a WGD_ name given in the same layer wins.
Result<void> apply_layer(ServerSettings& s, std::map<std::string, std::string, std::less<>>& origins,
                         std::span<const SettingsInput> layer) {
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& in : layer) {
      const Definition* d = find_definition(in.name);
      if (!d && is_extension_setting(in.name)) {  // issue 6
        const std::string_view value = trim(in.value);
        if (pass == 0 || value.empty()) continue;
        if (auto ok = apply_extension_setting(s, in, value); !ok)
          return failf("{} ({}): {}", in.name, in.origin, ok.error().message);
        continue;
      }
      if (!d) return failf("{} ({}): unknown setting", in.name, in.origin);
      const bool alias = d->name != d->setting;
      if (alias != (pass == 0)) continue;
      const std::string_view value = trim(in.value);
      if (value.empty()) continue;
      const auto port_before = s.endpoint_port;
      if (auto ok = d->apply(s, value); !ok)
        return failf("{} ({}): {}", in.name, in.origin, ok.error().message);
      const std::string origin = alias ? in.origin + " as " + in.name : in.origin;
      origins[std::string(d->setting)] = origin;
      // WGD_ENDPOINT=host:port sets the port too.
      if (d->setting == "WGD_ENDPOINT" && s.endpoint_port != port_before)
        origins["WGD_ENDPOINT_PORT"] = origin;
    }
  }
  return {};
}

std::optional<std::string> find_value(std::span<const SettingsInput> layer, std::string_view name,
                                      std::string* origin) {
  std::optional<std::string> found;
  for (const auto& in : layer)
    if (in.name == name && !trim(in.value).empty()) {
      found = std::string(trim(in.value));
      *origin = in.origin;
    }
  return found;
}

}  // namespace

Result<std::vector<SettingsInput>> read_settings_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return failf("cannot read {}: {}", path, std::strerror(errno));
  std::vector<SettingsInput> out;
  std::string line;
  int number = 0;
  while (std::getline(f, line)) {
    ++number;
    const std::string origin = fmt::format("file:{}:{}", path, number);
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    if (l.starts_with("export ")) l = trim(l.substr(7));
    const auto eq = l.find('=');
    if (eq == std::string_view::npos) return failf("{}: expected NAME=VALUE", origin);
    const std::string_view name = trim(l.substr(0, eq));
    std::string_view value = trim(l.substr(eq + 1));
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      const char q = value.front();
      const auto close = value.find(q, 1);
      if (close == std::string_view::npos) return failf("{}: {}: unterminated quote", origin, name);
      auto rest = trim(value.substr(close + 1));
      if (!rest.empty() && rest.front() != '#')
        return failf("{}: {}: text after the closing quote", origin, name);
      value = value.substr(1, close - 1);
    } else if (const auto hash = value.find(" #"); hash != std::string_view::npos) {
      value = trim(value.substr(0, hash));
    }
    if (!find_definition(name) && !is_extension_setting(name))
      return failf("{}: unknown setting '{}'", origin, name);
    if (name == "WGD_CONFIG") return failf("{}: WGD_CONFIG cannot be set inside a config file", origin);
    out.push_back({std::string(name), std::string(value), origin});
  }
  return out;
}

std::vector<SettingsInput> settings_from_environment(char** envp) {
  std::vector<SettingsInput> out;
  for (char** e = envp; e && *e; ++e) {
    std::string_view kv = *e;
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    const auto name = kv.substr(0, eq);
    if (find_definition(name) || is_extension_setting(name))
      out.push_back({std::string(name), std::string(kv.substr(eq + 1)), "env"});
  }
  return out;
}

Result<ResolvedSettings> resolve_settings(const std::vector<SettingsInput>& environment,
                                          const std::vector<SettingsInput>& flags,
                                          const std::string& default_config_file) {
  ResolvedSettings r;
  std::map<std::string, std::string, std::less<>> origins;

  // Which config file: flags, then environment, then the default path if it exists.
  std::string config_origin;
  auto config = find_value(flags, "WGD_CONFIG", &config_origin);
  if (!config) config = find_value(environment, "WGD_CONFIG", &config_origin);
  std::vector<SettingsInput> file;
  if (config) {
    auto read = read_settings_file(*config);
    if (!read) return failf("WGD_CONFIG ({}): {}", config_origin, read.error().message);
    file = std::move(*read);
    r.settings.config_file = *config;
    origins["WGD_CONFIG"] = config_origin;
  } else if (std::error_code ec; std::filesystem::exists(default_config_file, ec)) {
    auto read = read_settings_file(default_config_file);
    if (!read) return std::unexpected(read.error());
    file = std::move(*read);
    r.settings.config_file = default_config_file;
  }

  auto without_config = [](const std::vector<SettingsInput>& in) {
    std::vector<SettingsInput> out;
    for (const auto& i : in)
      if (i.name != "WGD_CONFIG") out.push_back(i);
    return out;
  };
  if (auto ok = apply_layer(r.settings, origins, file); !ok) return std::unexpected(ok.error());
  if (auto ok = apply_layer(r.settings, origins, without_config(environment)); !ok)
    return std::unexpected(ok.error());
  if (auto ok = apply_layer(r.settings, origins, without_config(flags)); !ok)
    return std::unexpected(ok.error());

  // Rules across settings.
  const auto origin_of = [&](std::string_view name) {
    auto it = origins.find(name);
    return it == origins.end() ? std::string("default") : it->second;
  };
  if (!r.settings.ipv4_address && !r.settings.ipv6_enabled)
    return failf("WGD_IPV4_ADDRESS ({}) and WGD_IPV6_ADDRESS ({}): both are 'none'; peers need at "
                 "least one tunnel subnet",
                 origin_of("WGD_IPV4_ADDRESS"), origin_of("WGD_IPV6_ADDRESS"));
  if (r.settings.data_dir.empty() || r.settings.data_dir.front() != '/')
    return failf("WGD_DATA_DIR ({}): must be a directory path", origin_of("WGD_DATA_DIR"));
  // Issue 6: INTERNAL_SUBNET may set the IPv4 address; the fleet settings must fit together.
  if (auto ok = provision::finish_provision_settings(r.settings, origin_of("WGD_IPV4_ADDRESS")); !ok)
    return std::unexpected(ok.error());
  if (auto ok = fleet::finish_fleet_settings(r.settings.fleet); !ok) return std::unexpected(ok.error());
  if (r.settings.provision.enabled() && !origins.contains("WGD_IPV4_ADDRESS"))
    origins["WGD_IPV4_ADDRESS"] = r.settings.provision.internal_subnet ? "INTERNAL_SUBNET"
                                                                        : "PEERS (the container's 10.13.13.0)";

  for (const auto& shown : kShown)
    r.sources.push_back({std::string(shown.name), origin_of(shown.name)});
  return r;
}

std::vector<std::string> describe_settings(const ResolvedSettings& resolved) {
  std::vector<std::string> out;
  for (const auto& shown : kShown) {
    std::string origin = "default";
    for (const auto& src : resolved.sources)
      if (src.name == shown.name) origin = src.origin;
    out.push_back(fmt::format("{}={} ({})", shown.name, shown.show(resolved.settings), origin));
  }
  // Issue 6: only when provisioning or fleet sync is configured.
  for (auto& line : provision::describe_provision_settings(resolved.settings.provision)) out.push_back(std::move(line));
  for (auto& line : fleet::describe_fleet_settings(resolved.settings.fleet)) out.push_back(std::move(line));
  return out;
}

std::vector<std::string> known_setting_names() {
  std::vector<std::string> out;
  for (const auto& d : kDefinitions) out.emplace_back(d.name);
  for (auto& n : provision::provision_setting_names()) out.push_back(std::move(n));  // issue 6
  for (auto& n : fleet::fleet_setting_names()) out.push_back(std::move(n));          // issue 6
  return out;
}

}  // namespace wgd::serve
