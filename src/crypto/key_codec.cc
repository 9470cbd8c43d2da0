#include "crypto/key_codec.h"

#include <sodium.h>

#include "crypto/init.h"

namespace wgd::crypto {
namespace {

constexpr std::size_t kBase64Len = 44;  // 4 * ceil(32 / 3)
constexpr std::size_t kHexLen = 64;

// Decodes into `out` (32 bytes); false unless the text is exactly one canonical key.
bool decode_base64(std::string_view text, std::uint8_t* out) {
  ensure_initialized();
  if (text.size() != kBase64Len || text[kBase64Len - 1] != '=' || text[kBase64Len - 2] == '=')
    return false;
  std::size_t len = 0;
  const char* end = nullptr;
  // libsodium rejects non-zero trailing bits, so only the canonical encoding passes.
  if (sodium_base642bin(out, kKeySize, text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  return len == kKeySize && end == text.data() + text.size();
}

bool decode_hex(std::string_view text, std::uint8_t* out) {
  ensure_initialized();
  if (text.size() != kHexLen) return false;
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out, kKeySize, text.data(), text.size(), nullptr, &len, &end) != 0)
    return false;
  return len == kKeySize && end == text.data() + text.size();
}

}  // namespace

std::string key_to_base64(std::span<const std::uint8_t, kKeySize> key) {
  ensure_initialized();
  char buf[kBase64Len + 1];
  sodium_bin2base64(buf, sizeof buf, key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string s(buf, kBase64Len);
  sodium_memzero(buf, sizeof buf);
  return s;
}

std::optional<std::array<std::uint8_t, kKeySize>> key_from_base64(std::string_view text) {
  std::array<std::uint8_t, kKeySize> key;
  if (!decode_base64(text, key.data())) return std::nullopt;
  return key;
}

std::optional<PrivateKey> secret_key_from_base64(std::string_view text) {
  PrivateKey key;
  if (!decode_base64(text, key.data())) return std::nullopt;
  return key;
}

std::string key_to_hex(std::span<const std::uint8_t, kKeySize> key) {
  ensure_initialized();
  char buf[kHexLen + 1];
  sodium_bin2hex(buf, sizeof buf, key.data(), key.size());
  std::string s(buf, kHexLen);
  sodium_memzero(buf, sizeof buf);
  return s;
}

std::optional<std::array<std::uint8_t, kKeySize>> key_from_hex(std::string_view text) {
  std::array<std::uint8_t, kKeySize> key;
  if (!decode_hex(text, key.data())) return std::nullopt;
  return key;
}

std::optional<PrivateKey> secret_key_from_hex(std::string_view text) {
  PrivateKey key;
  if (!decode_hex(text, key.data())) return std::nullopt;
  return key;
}

}  // namespace wgd::crypto
