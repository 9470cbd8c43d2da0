#include "uapi/showconf.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>

#include <cstring>

#include "crypto/key_codec.h"

namespace wgd::uapi {
namespace {

int name_endpoint(const Endpoint& endpoint, std::string& out) {
  sockaddr_storage ss;
  socklen_t len = endpoint.to_sockaddr(ss);
  char host[4096 + 1];
  char service[512 + 1];
  int ret = getnameinfo(reinterpret_cast<const sockaddr*>(&ss), len, host, sizeof host, service,
                        sizeof service, NI_DGRAM | NI_NUMERICSERV | NI_NUMERICHOST);
  if (ret) return ret;
  // Brackets only when the text has a colon, as wg does.
  if (endpoint.address.is_v6() && std::strchr(host, ':'))
    out = fmt::format("[{}]:{}", host, service);
  else
    out = fmt::format("{}:{}", host, service);
  return 0;
}

}  // namespace

std::optional<std::string> format_endpoint(const Endpoint& endpoint) {
  std::string out;
  if (name_endpoint(endpoint, out)) return std::nullopt;
  return out;
}

std::string endpoint_error_text(const Endpoint& endpoint) {
  std::string out;
  int ret = name_endpoint(endpoint, out);
  return ret ? gai_strerror(ret) : out;
}

std::string format_prefix(const IpPrefix& prefix) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(prefix.address.is_v4() ? AF_INET : AF_INET6, prefix.address.bytes(), buf, sizeof buf);
  return fmt::format("{}/{}", buf, prefix.length);
}

bool has_private_key(const wg::DeviceStatus& status) {
  return status.private_key && !status.private_key->is_zero();
}

bool has_preshared_key(const wg::PeerStatus& peer) {
  return peer.preshared_key && !peer.preshared_key->is_zero();
}

std::string render_showconf(const wg::DeviceStatus& status) {
  std::string out = "[Interface]\n";
  if (status.listen_port) out += fmt::format("ListenPort = {}\n", status.listen_port);
  if (status.fwmark) out += fmt::format("FwMark = 0x{:x}\n", status.fwmark);
  if (has_private_key(status))
    out += fmt::format("PrivateKey = {}\n", crypto::key_to_base64(status.private_key->span()));
  out += "\n";
  for (std::size_t i = 0; i < status.peers.size(); ++i) {
    const auto& peer = status.peers[i];
    out += fmt::format("[Peer]\nPublicKey = {}\n", crypto::key_to_base64(peer.public_key));
    if (has_preshared_key(peer))
      out += fmt::format("PresharedKey = {}\n", crypto::key_to_base64(peer.preshared_key->span()));
    if (!peer.allowed_ips.empty()) {
      out += "AllowedIPs = ";
      for (std::size_t j = 0; j < peer.allowed_ips.size(); ++j) {
        if (j) out += ", ";
        out += format_prefix(peer.allowed_ips[j]);
      }
      out += "\n";
    }
    if (peer.endpoint) {
      if (auto text = format_endpoint(*peer.endpoint)) out += fmt::format("Endpoint = {}\n", *text);
    }
    if (peer.persistent_keepalive)
      out += fmt::format("PersistentKeepalive = {}\n", peer.persistent_keepalive);
    if (i + 1 < status.peers.size()) out += "\n";
  }
  return out;
}

}  // namespace wgd::uapi
