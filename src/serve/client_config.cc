#include "serve/client_config.h"

#include <cerrno>

#include "uapi/wg_quick_config.h"

namespace wgd::serve {

std::string format_endpoint(const std::string& host, std::uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<std::string> render_client_config(const PeerRecord& peer, const ClientConfigDefaults& defaults) {
  if (!peer.private_key)
    return fail(fmt::format("peer {}: the client holds its private key, so the server cannot "
                            "write its config (it only knows the public key)",
                            peer.name),
                ENOKEY);
  uapi::WgQuickConfig c;
  c.interface.comments.push_back(fmt::format("{} (wgd peer {})", peer.name, peer.id));
  c.interface.private_key = peer.private_key->clone();
  if (peer.ipv4) c.interface.addresses.push_back({*peer.ipv4, 32});
  if (peer.ipv6) c.interface.addresses.push_back({*peer.ipv6, 128});
  for (const auto& d : peer.dns.empty() ? defaults.dns : peer.dns) {
    if (auto ip = IpAddress::parse(d))
      c.interface.dns_servers.push_back(*ip);
    else
      c.interface.dns_search.push_back(d);
  }
  c.interface.mtu = defaults.mtu;

  uapi::WgQuickPeer server;
  server.public_key = defaults.server_public_key;
  if (peer.preshared_key) server.preshared_key = peer.preshared_key->clone();
  server.allowed_ips = peer.client_allowed_ips.empty() ? defaults.allowed_ips : peer.client_allowed_ips;
  if (!defaults.endpoint.empty()) server.endpoint = defaults.endpoint;
  if (peer.persistent_keepalive && *peer.persistent_keepalive != 0)
    server.persistent_keepalive = peer.persistent_keepalive;
  c.peers.push_back(std::move(server));
  return uapi::render_wg_quick(c);
}

}  // namespace wgd::serve
