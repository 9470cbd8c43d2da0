// The settings of fleet device sync (issue 6, seed 000): `wgd serve` follows an external device
// registry that lists devices as factory-wireguard-server reads Foundries' wireguard-ips
// (`[{name, pubkey, ip, enabled}]`).
//
//   WGD_FLEET_REGISTRY=https://api.foundries.io/ota/factories/F/wireguard-ips/ | /path/devices.json
//   WGD_FLEET_NAME=F                    the factory: managed_by "fleet:F", hosts block markers
//   WGD_FLEET_TOKEN=...                 sent with every HTTP(S) request (a secret: never logged)
//   WGD_FLEET_TOKEN_FILE=/path          the same, read afresh at each poll (rotation works)
//   WGD_FLEET_TOKEN_HEADER=Authorization   "Authorization" sends "Bearer TOKEN"; any other
//                                       header name sends the token as is (OSF-TOKEN for a
//                                       Foundries API token)
//   WGD_FLEET_INTERVAL=300              seconds between polls (also 30s, 5m, 1h)
//   WGD_FLEET_CA_FILE=/path             extra CA bundle for an HTTPS registry
//   WGD_FLEET_PUBLISH_AUTH=token|none   whether GET /api/v1/fleet/* needs the API token
//
// settings.cc hands every name this module claims to apply_fleet_setting(); this header
// depends on nothing of serve/ (settings.h includes it).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace wgd::serve::fleet {

struct FleetSettings {
  std::string registry;  // URL (http://, https://), file:///path or /path; empty: fleet sync off
  std::string name;      // the factory name
  std::optional<std::string> token;  // never printed
  std::string token_file;
  std::string token_header = "Authorization";
  std::chrono::seconds interval{300};
  std::string ca_file;
  bool publish_auth = true;

  std::map<std::string, std::string, std::less<>> origins;  // by variable name

  bool enabled() const { return !registry.empty(); }
  bool registry_is_url() const { return registry.starts_with("http://") || registry.starts_with("https://"); }
  // The registry as logs and the status route show it: user:password in a URL as "***".
  std::string registry_shown() const;
  // The local file of a file registry ("file:///x" and "/x" both give "/x").
  std::string registry_path() const;
  std::string managed_by() const { return "fleet:" + name; }
};

bool is_fleet_setting(std::string_view name);
// Parses one NAME=VALUE into `s`; errors never quote a token.
Result<void> apply_fleet_setting(FleetSettings& s, std::string_view name, std::string_view value,
                                 std::string_view origin);
// Rules across settings: a registry needs a factory name, a token file and a token exclude
// each other, a token only goes with an HTTP(S) registry.
Result<void> finish_fleet_settings(const FleetSettings& s);
std::vector<std::string> describe_fleet_settings(const FleetSettings& s);
std::vector<std::string> fleet_setting_names();

}  // namespace wgd::serve::fleet
