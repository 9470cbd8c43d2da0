// Shared by the text-format tests: keys from text and `wg show IF dump` read back into a
// DeviceStatus (the netns test builds its expectations from what the real device reports).
#pragma once

#include <string_view>

#include "crypto/types.h"
#include "util/error.h"
#include "wg/config_change.h"

namespace wgd::uapi::test {

crypto::PublicKey public_key(std::string_view base64);   // aborts the test binary on bad input
crypto::PrivateKey secret_key(std::string_view base64);  // private or preshared

// Parses `wg show IF dump` (no interface column): the interface line, then one line per peer.
// Handshake nanoseconds are not in the dump and stay 0.
Result<wg::DeviceStatus> parse_show_dump(std::string_view text);

}  // namespace wgd::uapi::test
