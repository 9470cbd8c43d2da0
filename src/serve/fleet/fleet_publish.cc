#include "serve/fleet/fleet_publish.h"

#include <fmt/format.h>

#include "crypto/key_codec.h"

namespace wgd::serve::fleet {

std::string wireguard_server_text(std::string_view endpoint, const IpAddress& server_address,
                                  const crypto::PublicKey& server_key) {
  return fmt::format("endpoint={}\nserver_address={}\npubkey={}", endpoint, server_address.to_string(),
                     crypto::key_to_base64(server_key));
}

std::string wireguard_client_text(const IpAddress& address, const crypto::PublicKey& device_key) {
  return fmt::format("address={}\npubkey={}", address.to_string(), crypto::key_to_base64(device_key));
}

nlohmann::json factory_config_body(std::string_view server_text) {
  return {{"reason", "Wireguard server settings from wgd"},
          {"files",
           nlohmann::json::array({{{"name", "wireguard-server"},
                                   {"value", server_text},
                                   {"unencrypted", true},
                                   {"on-changed", nlohmann::json::array({"/usr/share/fioconfig/handlers/factory-config-vpn"})}}})}};
}

nlohmann::json device_config_body(std::string_view client_text) {
  return {{"reason", "Update wireguard settings"},
          {"files", nlohmann::json::array({{{"name", "wireguard-client"},
                                            {"value", client_text},
                                            {"unencrypted", true}}})}};
}

}  // namespace wgd::serve::fleet
