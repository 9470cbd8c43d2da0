// Which file `wgd up|down FILE|NAME` reads and which interface it names, by wg-quick's rules:
// a bare NAME matching ^[a-zA-Z0-9_=+.-]{1,15}$ means CONFIG_DIR/NAME.conf; otherwise the
// argument is a path whose basename must be such a name followed by ".conf"; the interface is
// that name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "uapi/wg_quick_config.h"
#include "util/error.h"

namespace wgd::quick {

inline constexpr std::string_view kDefaultConfigDir = "/etc/wireguard";

struct ConfigLocation {
  std::string path;       // absolute, symlinks resolved (as wg-quick's readlink -f)
  std::string interface;  // the name the file's basename gives
};

// wg-quick's interface name rule: 1-15 of [a-zA-Z0-9_=+.-].
bool valid_wg_quick_interface_name(std::string_view name);

// Errors read as wg-quick's: "`/etc/wireguard/wg9.conf' does not exist", "The config file must
// be a valid interface name, followed by .conf".
Result<ConfigLocation> locate_config(std::string_view file_or_name,
                                     std::string_view config_dir = kDefaultConfigDir);

// wg-quick's warning when the file or its directory can be read by others:
// "Warning: `PATH' is world accessible". Nothing when both are private.
std::optional<std::string> world_accessible_warning(const std::string& path);

// Reads and parses the file; parse errors name the file, the line and the key.
Result<uapi::WgQuickConfig> read_config(const ConfigLocation& location);

}  // namespace wgd::quick
