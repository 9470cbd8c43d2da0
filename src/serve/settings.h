// Every setting of `wgd serve`, with its environment variable and default. Resolution order:
// built-in defaults < config file < environment < command-line flags. The config file uses the
// environment variables' names (`WGD_LISTEN_PORT=51820`, `#` comments), so one name per setting
// works everywhere. The seed users' own variable names are accepted as aliases (issue 5 and 6).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/types.h"
#include "serve/fleet/fleet_settings.h"          // issue 6: fleet device sync
#include "serve/provision/provision_settings.h"  // issue 6: linuxserver-style provisioning
#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve {

struct ServerSettings {
  std::string config_file;                   // WGD_CONFIG, --config (default /etc/wgd/wgd.conf if it exists)
  std::string data_dir = "/var/lib/wgd";     // WGD_DATA_DIR
  std::string database;                      // WGD_DATABASE (default sqlite://<data_dir>/wgd.db)
  std::string interface = "wg0";             // WGD_INTERFACE
  std::uint16_t listen_port = 51820;         // WGD_LISTEN_PORT, alias WG_PORT
  // The server's tunnel addresses, with the subnet peers are allocated from.
  std::optional<IpPrefix> ipv4_address = IpPrefix::parse("10.8.0.1/24");  // WGD_IPV4_ADDRESS, alias WG_SUBNET; "none" disables
  // Empty: a random RFC 4193 /64 chosen at first start and kept in the store; "none" disables.
  std::optional<IpPrefix> ipv6_address;      // WGD_IPV6_ADDRESS
  bool ipv6_enabled = true;
  std::string api_listen = "127.0.0.1:8080";  // WGD_API_LISTEN: HOST:PORT, [V6]:PORT or unix:/path; API_PORT=N means 0.0.0.0:N
  bool api_auth = true;                       // WGD_API_AUTH=none turns it off
  bool compat_auth = true;                    // WGD_COMPAT_AUTH=none: seed-003 paths without auth
  bool metrics_auth = true;                   // WGD_METRICS_AUTH=none
  std::string endpoint_host;                  // WGD_ENDPOINT, aliases SERVER_IP, SERVERURL ("auto" = detect)
  std::optional<std::uint16_t> endpoint_port; // port in client configs (default listen_port; SERVERPORT)
  std::vector<IpPrefix> client_allowed_ips;   // WGD_CLIENT_ALLOWED_IPS, alias PEER_ALLOWED_IPS (default 0.0.0.0/0, ::/0)
  std::vector<std::string> client_dns;        // WGD_CLIENT_DNS
  std::optional<std::uint16_t> client_persistent_keepalive = 25;  // WGD_CLIENT_KEEPALIVE (0 = off)
  std::uint32_t mtu = 1420;                   // WGD_MTU
  std::optional<std::string> private_key_text;  // WGD_PRIVATE_KEY, alias WG_PRIVATE_KEY (else generated and stored)
  // "inprocess" (default: wgd runs the interface itself) or "uapi:/var/run/wireguard/wg0.sock"
  // to drive an interface run by another implementation (wireguard-go, a kernel-backed wg0 via
  // a UAPI bridge, ...).
  std::string device = "inprocess";           // WGD_DEVICE
  std::chrono::seconds reconcile_interval{10};  // WGD_RECONCILE_INTERVAL
  std::string hosts_file = "/etc/hosts";      // WGD_HOSTS_FILE ("none" disables)
  std::string hosts_domain = "wg";            // WGD_HOSTS_DOMAIN: names are NAME and NAME.<domain>
  bool verbose = false;                       // WGD_VERBOSE, -v

  // Issue 6: their own variables (PEERS, PEERDNS, ... and WGD_FLEET_*), parsed by
  // serve/provision/provision_settings.cc and serve/fleet/fleet_settings.cc.
  provision::ProvisionSettings provision;
  fleet::FleetSettings fleet;

  std::string database_url() const {
    return database.empty() ? "sqlite://" + data_dir + "/wgd.db" : database;
  }
};

// Where each value came from, for the start-up summary ("listen_port=51820 (env)").
struct SettingsSource {
  std::string name;    // WGD_LISTEN_PORT
  std::string origin;  // default | file:/etc/wgd/wgd.conf:3 | env | flag
};

// ---- Resolution (settings.cc) -----------------------------------------------------------------
// Added by the runtime helper; the structs above are unchanged.

// One NAME=VALUE given to `wgd serve`, by its environment variable name (aliases allowed).
struct SettingsInput {
  std::string name;    // WGD_LISTEN_PORT, WG_PORT, ...
  std::string value;   // an empty value means "not set" (the next layer down applies)
  std::string origin;  // "file:/etc/wgd/wgd.conf:3", "env", "flag"
};

struct ResolvedSettings {
  ServerSettings settings;
  std::vector<SettingsSource> sources;  // one per setting (canonical name), in summary order
};

// The config file: NAME=VALUE lines with the environment variables' names, `#` comments, an
// optional `export ` and optional quotes around the value. Unknown names are errors naming the
// file and line.
Result<std::vector<SettingsInput>> read_settings_file(const std::string& path);
// The variables of `envp` (NAME=VALUE strings, null-terminated) that name a setting.
std::vector<SettingsInput> settings_from_environment(char** envp);
// Built-in defaults < config file < environment < flags. Within one layer a WGD_ name beats its
// alias. The config file is WGD_CONFIG from the flags, else from the environment, else
// /etc/wgd/wgd.conf if that exists (`default_config_file` replaces that path in tests).
// Errors name the setting and where its value came from, never a key's value.
Result<ResolvedSettings> resolve_settings(const std::vector<SettingsInput>& environment,
                                          const std::vector<SettingsInput>& flags,
                                          const std::string& default_config_file =
                                              "/etc/wgd/wgd.conf");
// "WGD_LISTEN_PORT=51820 (env)" for each setting, for the start-up summary; secrets print as
// "(set)" or "(unset)".
std::vector<std::string> describe_settings(const ResolvedSettings& resolved);
// Every name resolve_settings understands (canonical names and aliases), for --help texts.
std::vector<std::string> known_setting_names();

}  // namespace wgd::serve
