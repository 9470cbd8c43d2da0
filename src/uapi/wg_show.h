// `wg show`: the pretty form (keys hidden, peers by latest handshake, colour on a terminal),
// `dump` for scripts, and each single field — byte for byte what wireguard-tools prints for the
// same state. Time-dependent text takes `now` so the output is a pure function of its inputs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/error.h"
#include "wg/config_change.h"

namespace wgd::uapi {

enum class ShowField : std::uint8_t {
  kPublicKey,
  kPrivateKey,
  kListenPort,
  kFwmark,
  kPeers,
  kPresharedKeys,
  kEndpoints,
  kAllowedIps,
  kLatestHandshakes,
  kTransfer,
  kPersistentKeepalive,
  kDump,
};

// "public-key" ... "dump", as on wg's command line.
std::optional<ShowField> parse_show_field(std::string_view name);
std::string_view show_field_name(ShowField field);

struct ShowStyle {
  bool color = false;     // ANSI colours and bold, as wg uses on a terminal
  bool hide_keys = true;  // private and preshared keys print as "(hidden)"
  std::int64_t now = 0;   // wall-clock seconds (Unix time) for "latest handshake: ... ago"
};

// wg's rules: WG_COLOR_MODE=always|never, otherwise colour when `stdout_fd` is a terminal;
// WG_HIDE_KEYS=never shows the keys.
ShowStyle show_style_from_environment(int stdout_fd, std::int64_t now);

struct NamedDevice {
  std::string_view name;
  const wg::DeviceStatus* status = nullptr;
};

// `wg show IF`.
std::string render_show_pretty(std::string_view name, const wg::DeviceStatus& status,
                               const ShowStyle& style);
// `wg show IF FIELD`; with_interface prefixes each line with "IF\t" (as `wg show all FIELD`).
std::string render_show_field(std::string_view name, const wg::DeviceStatus& status,
                              ShowField field, bool with_interface = false);
// `wg show` / `wg show all`: each device, a blank line between them.
std::string render_show_all_pretty(std::span<const NamedDevice> devices, const ShowStyle& style);
// `wg show all FIELD`.
std::string render_show_all_field(std::span<const NamedDevice> devices, ShowField field);
// `wg show interfaces`: the names on one line, nothing at all when there are none.
std::string render_show_interfaces(std::span<const std::string_view> names);

// The pieces, for other front ends that want wg's wording.
// "1 year, 2 days, 1 minute, 5 seconds"; empty for 0.
std::string pretty_duration(std::uint64_t seconds, bool color);
// "Now", "1 minute, 5 seconds ago", or the clock-went-backwards warning.
std::string pretty_ago(std::int64_t then, std::int64_t now, bool color);
// "512 B", "1.23 KiB", "4.56 MiB", "7.00 GiB", "1.50 TiB".
std::string pretty_bytes(std::uint64_t bytes, bool color);

// The argument grammar of `wg show` (the words after "show"):
//   (none) | all [FIELD] | interfaces | IF [FIELD] | -h | --help | help
struct ShowRequest {
  enum class Target : std::uint8_t { kAll, kInterfaces, kOne, kHelp };
  Target target = Target::kAll;
  std::string interface;  // kOne
  std::optional<ShowField> field;
};
Result<ShowRequest> parse_show_args(std::span<const std::string_view> args);
// "Usage: PROG show { <interface> | all | interfaces } [public-key | ... | dump]".
std::string show_usage(std::string_view program, std::string_view command = "show");

}  // namespace wgd::uapi
