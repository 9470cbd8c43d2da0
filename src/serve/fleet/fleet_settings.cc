#include "serve/fleet/fleet_settings.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace wgd::serve::fleet {
namespace {

// The longest factory name that still makes a valid managed_by tag ("fleet:" + name, 63).
constexpr std::size_t kMaxNameLength = 57;

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
    return failf("'{}' is not a duration of 1 s to 1 day (e.g. 300, 30s, 5m)", v);
  return std::chrono::seconds(n * unit);
}

bool valid_header_name(std::string_view h) {
  if (h.empty() || h.size() > 64) return false;
  for (char c : h)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

using Setter = Result<void> (*)(FleetSettings&, std::string_view);

struct Definition {
  std::string_view name;
  Setter set;
  std::string (*show)(const FleetSettings&);
};

const Definition kDefinitions[] = {
    {"WGD_FLEET_REGISTRY",
     [](FleetSettings& s, std::string_view v) -> Result<void> {
       if (!v.starts_with("http://") && !v.starts_with("https://") && !v.starts_with("file:///") &&
           !v.starts_with('/'))
         return failf("'{}' is neither an http(s):// URL nor an absolute file path", v);
       for (char c : v)
         if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
           return failf("'{}' contains blanks or control characters", v);
       s.registry = std::string(v);
       return {};
     },
     [](const FleetSettings& s) { return s.registry.empty() ? std::string("(unset: fleet sync off)") : s.registry_shown(); }},
    {"WGD_FLEET_NAME",
     [](FleetSettings& s, std::string_view v) -> Result<void> {
       bool ok = !v.empty() && v.size() <= kMaxNameLength && std::isalnum(static_cast<unsigned char>(v.front()));
       for (char c : v) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
       if (!ok)
         return failf("'{}' is not a factory name (1-{} letters, digits, '-', '_' or '.', starting "
                      "with a letter or digit)",
                      v, kMaxNameLength);
       s.name = std::string(v);
       return {};
     },
     [](const FleetSettings& s) { return s.name.empty() ? std::string("(unset)") : s.name; }},
    {"WGD_FLEET_TOKEN",
     [](FleetSettings& s, std::string_view v) -> Result<void> {
       for (char c : v)
         if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
           return fail("contains control characters (it goes into an HTTP header)");
       s.token = std::string(v);
       return {};
     },
     [](const FleetSettings& s) { return std::string(s.token ? "(set)" : "(unset)"); }},
    {"WGD_FLEET_TOKEN_FILE",
     [](FleetSettings& s, std::string_view v) -> Result<void> {
       if (!v.starts_with('/')) return failf("'{}' is not an absolute path", v);
       s.token_file = std::string(v);
       return {};
     },
     [](const FleetSettings& s) { return s.token_file.empty() ? std::string("(unset)") : s.token_file; }},
    {"WGD_FLEET_TOKEN_HEADER",
     [](FleetSettings& s, std::string_view v) -> Result<void> {
       if (!valid_header_name(v)) return failf("'{}' is not an HTTP header name", v);
       s.token_header = std::string(v);
       return {};
     },
     [](const FleetSettings& s) { return s.token_header; }},
    {"WGD_FLEET_INTERVAL",
     [](FleetSettings& s, std::string_view v) -> Result<void> {
       auto d = parse_interval(v);
       if (!d) return std::unexpected(d.error());
       s.interval = *d;
       return {};
     },
     [](const FleetSettings& s) { return std::to_string(s.interval.count()) + "s"; }},
    {"WGD_FLEET_CA_FILE",
     [](FleetSettings& s, std::string_view v) -> Result<void> {
       if (!v.starts_with('/')) return failf("'{}' is not an absolute path", v);
       s.ca_file = std::string(v);
       return {};
     },
     [](const FleetSettings& s) { return s.ca_file.empty() ? std::string("(system CAs)") : s.ca_file; }},
    {"WGD_FLEET_PUBLISH_AUTH",
     [](FleetSettings& s, std::string_view v) -> Result<void> {
       if (v == "token") s.publish_auth = true;
       else if (v == "none") s.publish_auth = false;
       else return failf("'{}' is neither 'token' nor 'none'", v);
       return {};
     },
     [](const FleetSettings& s) { return std::string(s.publish_auth ? "token" : "none"); }},
};

const Definition* find(std::string_view name) {
  for (const auto& d : kDefinitions)
    if (d.name == name) return &d;
  return nullptr;
}

}  // namespace

std::string FleetSettings::registry_shown() const {
  // http://user:secret@host/...: the credentials stay out of logs and the status route.
  if (!registry_is_url()) return registry;
  const std::size_t start = registry.find("://") + 3;
  const std::size_t end = registry.find_first_of("/?#", start);
  const std::size_t at = registry.rfind('@', end == std::string::npos ? registry.size() : end);
  if (at == std::string::npos || at < start) return registry;
  return registry.substr(0, start) + "***" + registry.substr(at);
}

std::string FleetSettings::registry_path() const {
  if (registry.starts_with("file://")) return registry.substr(7);
  return registry;
}

bool is_fleet_setting(std::string_view name) { return find(name) != nullptr; }

Result<void> apply_fleet_setting(FleetSettings& s, std::string_view name, std::string_view value,
                                 std::string_view origin) {
  const Definition* d = find(name);
  if (!d) return fail("not a fleet setting");
  if (auto ok = d->set(s, value); !ok) return ok;
  s.origins[std::string(name)] = std::string(origin);
  return {};
}

Result<void> finish_fleet_settings(const FleetSettings& s) {
  const auto origin = [&](std::string_view name) {
    auto it = s.origins.find(name);
    return it == s.origins.end() ? std::string("default") : it->second;
  };
  if (!s.enabled()) {
    for (auto name : {"WGD_FLEET_TOKEN", "WGD_FLEET_TOKEN_FILE", "WGD_FLEET_NAME"})
      if (s.origins.contains(name))
        return failf("{} ({}): given without WGD_FLEET_REGISTRY", name, origin(name));
    return {};
  }
  if (s.name.empty())
    return failf("WGD_FLEET_REGISTRY ({}): needs WGD_FLEET_NAME, the factory's name (it tags the "
                 "peers as fleet:NAME and names the hosts block)",
                 origin("WGD_FLEET_REGISTRY"));
  if (s.token && !s.token_file.empty())
    return failf("WGD_FLEET_TOKEN ({}) and WGD_FLEET_TOKEN_FILE ({}): give one of them",
                 origin("WGD_FLEET_TOKEN"), origin("WGD_FLEET_TOKEN_FILE"));
  if (!s.registry_is_url()) {
    for (auto name : {"WGD_FLEET_TOKEN", "WGD_FLEET_TOKEN_FILE", "WGD_FLEET_CA_FILE"})
      if (s.origins.contains(name))
        return failf("{} ({}): only for an http(s):// registry, but WGD_FLEET_REGISTRY is a file",
                     name, origin(name));
  }
  return {};
}

std::vector<std::string> describe_fleet_settings(const FleetSettings& s) {
  std::vector<std::string> out;
  if (!s.enabled() && s.origins.empty()) return out;
  for (const auto& d : kDefinitions) {
    auto it = s.origins.find(d.name);
    out.push_back(fmt::format("{}={} ({})", d.name, d.show(s), it == s.origins.end() ? "default" : it->second));
  }
  return out;
}

std::vector<std::string> fleet_setting_names() {
  std::vector<std::string> out;
  for (const auto& d : kDefinitions) out.emplace_back(d.name);
  return out;
}

}  // namespace wgd::serve::fleet
