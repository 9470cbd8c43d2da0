// Text forms of 32-byte keys: base64 (wg, config files, the REST API) and hex (the UAPI).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/types.h"

namespace wgd::crypto {

std::string key_to_base64(std::span<const std::uint8_t, kKeySize> key);
// Exactly 44 characters of canonical padded base64 decoding to 32 bytes, as wg accepts.
std::optional<std::array<std::uint8_t, kKeySize>> key_from_base64(std::string_view text);
std::optional<PrivateKey> secret_key_from_base64(std::string_view text);

std::string key_to_hex(std::span<const std::uint8_t, kKeySize> key);
// Exactly 64 hex digits.
std::optional<std::array<std::uint8_t, kKeySize>> key_from_hex(std::string_view text);
std::optional<PrivateKey> secret_key_from_hex(std::string_view text);

}  // namespace wgd::crypto
