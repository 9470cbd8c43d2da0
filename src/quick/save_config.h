// SaveConfig: the file written back on `down` (wg-quick's save_config), byte for byte:
//
//   [Interface]
//   Address = ...        every address the interface has now (`ip -brief address`)
//   DNS = ...            what resolvconf reports for it (see dns_to_save)
//   MTU = ...            the interface's MTU now, only if the file had an MTU
//   Table = ...          as the file said, only if it said
//   SaveConfig = true
//   PreUp = ... PostUp = ... PreDown = ... PostDown = ...   the file's hooks, %i unexpanded
//   ListenPort = ...     then `wg showconf IF` from its first line on: the device's own keys,
//   ...                  (FwMark too, when wg-quick's default-route handling set one) and peers
//
// Like wg-quick, comments and the file's own order are not kept.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "uapi/wg_quick_config.h"
#include "util/error.h"
#include "util/ip.h"
#include "wg/config_change.h"

namespace wgd::quick {

struct SavedInterfaceState {
  std::vector<IpPrefix> addresses;        // as the kernel lists them now
  std::vector<std::string> dns;           // DNS entries to write
  std::optional<std::uint32_t> link_mtu;  // the interface's MTU now
};

std::string render_saved_config(const uapi::WgQuickInterface& file, const SavedInterfaceState& now,
                                const wg::DeviceStatus& status);

// Writes `text` to PATH.tmp (mode 0600), syncs it and renames it over PATH.
Result<void> write_file_atomically(const std::string& path, std::string_view text);

}  // namespace wgd::quick
