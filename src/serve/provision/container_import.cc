#include "serve/provision/container_import.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "crypto/key_codec.h"
#include "serve/server_identity.h"

namespace wgd::serve::provision {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A key file: the base64 key, optionally followed by a newline (as `wg genkey` writes it).
Result<std::optional<crypto::PrivateKey>> read_key_file(const ConfigTree& tree, const std::string& relative) {
  auto text = tree.read(relative);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::optional<crypto::PrivateKey>{};
  auto key = crypto::secret_key_from_base64(trim(**text));
  if (!key)
    return failf("{} does not hold a WireGuard key (44 characters of base64); fix or remove it",
                 tree.path(relative).string());
  return std::optional<crypto::PrivateKey>(std::move(*key));
}

}  // namespace

std::optional<IpAddress> address_of_conf(std::string_view text) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.size() < 7) continue;
    std::string key(line.substr(0, 7));
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key != "address") continue;
    auto rest = trim(line.substr(7));
    if (rest.empty() || rest.front() != '=') continue;
    rest = rest.substr(1);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      auto item = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (auto p = IpPrefix::parse(item); p && p->address.is_v4()) return p->address;
    }
  }
  return std::nullopt;
}

Result<ContainerPeerFiles> read_container_peer(const ConfigTree& tree, const ProvisionedName& peer) {
  ContainerPeerFiles out;
  const std::string dir = peer.peer_id + "/";
  auto priv = read_key_file(tree, dir + "privatekey-" + peer.peer_id);
  if (!priv) return std::unexpected(priv.error());
  out.private_key = std::move(*priv);
  auto psk = read_key_file(tree, dir + "presharedkey-" + peer.peer_id);
  if (!psk) return std::unexpected(psk.error());
  if (*psk) out.preshared_key = crypto::PresharedKey((*psk)->span());
  auto conf = tree.read(dir + peer.peer_id + ".conf");
  if (!conf) return std::unexpected(conf.error());
  if (*conf) out.address = address_of_conf(**conf);
  return out;
}

Result<std::optional<crypto::PrivateKey>> read_container_server_key(const ConfigTree& tree) {
  return read_key_file(tree, "server/privatekey-server");
}

Result<bool> adopt_container_server_key(const ServerSettings& settings, Store& store) {
  if (!settings.provision.enabled() || settings.private_key_text) return false;
  auto stored = store.get_setting(kPrivateKeySetting);
  if (!stored) return std::unexpected(stored.error().context("server private key"));
  if (*stored) return false;
  ConfigTree tree(settings.provision.config_dir, std::nullopt, std::nullopt);
  auto key = read_container_server_key(tree);
  if (!key) return std::unexpected(key.error());
  if (!*key) return false;
  auto kept = store.put_setting_if_absent(kPrivateKeySetting, crypto::key_to_base64((*key)->span()));
  if (!kept) return std::unexpected(kept.error().context("server private key"));
  spdlog::info("server key taken over from {} (left there by linuxserver/wireguard or an earlier "
               "wgd): existing client configs keep working",
               tree.path("server/privatekey-server").string());
  return true;
}

}  // namespace wgd::serve::provision
