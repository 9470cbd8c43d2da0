#include "serve/server_identity.h"

#include <spdlog/spdlog.h>

#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "crypto/x25519.h"

namespace wgd::serve {
namespace {

Result<crypto::PrivateKey> load_private_key(Store& store, const ServerSettings& settings,
                                            std::string* origin) {
  auto stored = store.get_setting(kPrivateKeySetting);
  if (!stored) return std::unexpected(stored.error().context("server private key"));
  if (settings.private_key_text) {
    auto key = crypto::secret_key_from_base64(*settings.private_key_text);
    if (!key) return fail("WGD_PRIVATE_KEY: not a valid key");  // resolve_settings checked it
    *origin = "WGD_PRIVATE_KEY";
    const std::string text = crypto::key_to_base64(key->span());
    if (!*stored) {
      auto kept = store.put_setting_if_absent(kPrivateKeySetting, text);
      if (!kept) return std::unexpected(kept.error().context("server private key"));
      if (*kept == text) return std::move(*key);
      stored = std::optional<std::string>(*kept);  // another gateway stored one meanwhile
    }
    auto old = crypto::secret_key_from_base64(**stored);
    if (old && crypto::x25519_public(*old) == crypto::x25519_public(*key)) return std::move(*key);
    spdlog::warn("WGD_PRIVATE_KEY differs from the server key stored in the database; using "
                 "WGD_PRIVATE_KEY and storing it (the public key changes: clients configured "
                 "with the old one must be updated)");
    if (auto ok = store.set_setting(kPrivateKeySetting, text); !ok)
      return std::unexpected(ok.error().context("server private key"));
    return std::move(*key);
  }
  if (*stored) {
    auto key = crypto::secret_key_from_base64(**stored);
    if (!key)
      return failf("setting {} in the database is not a valid key; fix it or remove it to have "
                   "a new key generated",
                   kPrivateKeySetting);
    *origin = "stored";
    return std::move(*key);
  }
  crypto::PrivateKey fresh = crypto::x25519_generate();
  const std::string text = crypto::key_to_base64(fresh.span());
  auto kept = store.put_setting_if_absent(kPrivateKeySetting, text);
  if (!kept) return std::unexpected(kept.error().context("server private key"));
  if (*kept == text) {
    *origin = "generated";
    return fresh;
  }
  auto key = crypto::secret_key_from_base64(*kept);
  if (!key) return failf("setting {} in the database is not a valid key", kPrivateKeySetting);
  *origin = "stored";
  return std::move(*key);
}

}  // namespace

IpPrefix random_ula_prefix() {
  std::array<std::uint8_t, 16> b{};
  b[0] = 0xfd;
  crypto::random_bytes(std::span(b).subspan(1, 7));  // 40-bit global ID + 16-bit subnet ID
  b[15] = 1;
  return {IpAddress::v6(b), 64};
}

Result<ServerIdentity> load_server_identity(Store& store, const ServerSettings& settings) {
  ServerIdentity id;
  auto key = load_private_key(store, settings, &id.key_origin);
  if (!key) return std::unexpected(key.error());
  id.private_key = std::move(*key);
  id.public_key = crypto::x25519_public(id.private_key);
  id.ipv4_address = settings.ipv4_address;

  if (!settings.ipv6_enabled) {
    id.ipv6_origin = "disabled";
  } else if (settings.ipv6_address) {
    id.ipv6_address = settings.ipv6_address;
    id.ipv6_origin = "configured";
  } else {
    const std::string fresh = random_ula_prefix().to_string();
    auto kept = store.put_setting_if_absent(kIpv6AddressSetting, fresh);
    if (!kept) return std::unexpected(kept.error().context("IPv6 subnet"));
    auto p = IpPrefix::parse(*kept);
    if (!p || !p->address.is_v6())
      return failf("setting {} in the database is not an IPv6 address with prefix length",
                   kIpv6AddressSetting);
    id.ipv6_address = *p;
    id.ipv6_origin = *kept == fresh ? "generated" : "stored";
  }
  return id;
}

}  // namespace wgd::serve
