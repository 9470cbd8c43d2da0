#include "serve/provision/container_templates.h"

#include <fmt/format.h>

#include "crypto/key_codec.h"

namespace wgd::serve::provision {

// The container's iptables rules, from its server template. wgd does not run them (it never
// runs wg-quick's hooks); they are in the file so it stays the container's file: see
// docs/provisioning.md on forwarding and NAT.
constexpr std::string_view kPostUp =
    "iptables -A FORWARD -i %i -j ACCEPT; iptables -A FORWARD -o %i -j ACCEPT; "
    "iptables -t nat -A POSTROUTING -o eth+ -j MASQUERADE";
constexpr std::string_view kPostDown =
    "iptables -D FORWARD -i %i -j ACCEPT; iptables -D FORWARD -o %i -j ACCEPT; "
    "iptables -t nat -D POSTROUTING -o eth+ -j MASQUERADE";

std::string key_file_text(std::span<const std::uint8_t, crypto::kKeySize> key) {
  return crypto::key_to_base64(key) + "\n";
}

std::string render_peer_conf(const PeerConfFields& f) {
  std::string out;
  out += "[Interface]\n";
  out += fmt::format("Address = {}\n", f.address.to_string());
  out += fmt::format("PrivateKey = {}\n", crypto::key_to_base64(f.private_key->span()));
  // The container's template has it; it only fixes the client's own UDP port.
  out += "ListenPort = 51820\n";
  out += fmt::format("DNS = {}\n", f.dns);
  out += "\n[Peer]\n";
  out += fmt::format("PublicKey = {}\n", crypto::key_to_base64(f.server_public_key));
  if (f.preshared_key) out += fmt::format("PresharedKey = {}\n", crypto::key_to_base64(f.preshared_key->span()));
  if (!f.endpoint.empty()) out += fmt::format("Endpoint = {}\n", f.endpoint);
  out += fmt::format("AllowedIPs = {}\n", f.allowed_ips);
  return out;
}

std::string render_server_conf(const IpAddress& server_address, std::uint16_t listen_port,
                               const crypto::PrivateKey& server_private_key,
                               const std::vector<ServerConfPeer>& peers) {
  std::string out;
  out += "[Interface]\n";
  out += fmt::format("Address = {}\n", server_address.to_string());
  out += fmt::format("ListenPort = {}\n", listen_port);
  out += fmt::format("PrivateKey = {}\n", crypto::key_to_base64(server_private_key.span()));
  out += fmt::format("PostUp = {}\n", kPostUp);
  out += fmt::format("PostDown = {}\n", kPostDown);
  out += "\n";
  for (const auto& p : peers) {
    out += "[Peer]\n";
    out += fmt::format("# {}\n", p.peer_id);
    out += fmt::format("PublicKey = {}\n", crypto::key_to_base64(p.public_key));
    if (p.preshared_key)
      out += fmt::format("PresharedKey = {}\n", crypto::key_to_base64(p.preshared_key->span()));
    if (p.extra_allowed_ips.empty())
      out += fmt::format("AllowedIPs = {}/32\n", p.address.to_string());
    else
      out += fmt::format("AllowedIPs = {}/32,{}\n", p.address.to_string(), p.extra_allowed_ips);
    if (p.keepalive) out += "PersistentKeepalive = 25\n";
    out += "\n";
  }
  return out;
}

}  // namespace wgd::serve::provision
