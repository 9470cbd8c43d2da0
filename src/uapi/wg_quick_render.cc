// render_wg_quick and strip_wg_quick: the model back to text, refusing whatever would not read
// back as the same model.
#include <fmt/format.h>

#include <map>

#include "crypto/compare.h"
#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "uapi/wg_quick_config.h"
#include "uapi/wg_quick_syntax.h"

namespace wgd::uapi {
namespace {

using namespace wg_quick_syntax;

Result<void> check_line_text(std::string_view field, std::string_view s) {
  if (s.find_first_of(std::string_view("\n\r\0", 3)) != std::string_view::npos)
    return failf("{}: contains a line break or NUL", field);
  return {};
}

Result<void> render_comments(std::string& out, const std::vector<std::string>& comments,
                             std::string_view where) {
  for (const auto& c : comments) {
    if (auto r = check_line_text(fmt::format("{} comment", where), c); !r) return r;
    if (trim(c) != c)
      return failf("{} comment: has leading or trailing blanks, which do not survive a re-read",
                   where);
    out += c.empty() ? "#\n" : fmt::format("# {}\n", c);
  }
  return {};
}

std::string join_prefixes(const std::vector<IpPrefix>& prefixes) {
  std::string out;
  for (const auto& p : prefixes) {
    if (!out.empty()) out += ", ";
    out += p.to_string();
  }
  return out;
}

Result<void> render_interface(std::string& out, const WgQuickInterface& itf, bool wg_quick_keys) {
  if (auto r = render_comments(out, itf.comments, "[Interface]"); !r) return r;
  out += "[Interface]\n";
  if (itf.private_key)
    out += fmt::format("PrivateKey = {}\n", crypto::key_to_base64(itf.private_key->span()));
  if (itf.listen_port) out += fmt::format("ListenPort = {}\n", *itf.listen_port);
  if (itf.fwmark)
    out += *itf.fwmark ? fmt::format("FwMark = 0x{:x}\n", *itf.fwmark) : "FwMark = off\n";
  if (!wg_quick_keys) return {};

  if (!itf.addresses.empty()) out += fmt::format("Address = {}\n", join_prefixes(itf.addresses));
  if (!itf.dns_servers.empty() || !itf.dns_search.empty()) {
    std::string dns;
    for (const auto& a : itf.dns_servers) dns += (dns.empty() ? "" : ", ") + a.to_string();
    for (const auto& d : itf.dns_search) {
      if (!valid_search_domain(d) || looks_like_ip(d))
        return failf("DNS: '{}' is not a valid search domain", d);
      dns += (dns.empty() ? "" : ", ") + d;
    }
    out += fmt::format("DNS = {}\n", dns);
  }
  if (itf.mtu) {
    if (*itf.mtu < 68 || *itf.mtu > 65535) return failf("MTU: {} is not an MTU 68-65535", *itf.mtu);
    out += fmt::format("MTU = {}\n", *itf.mtu);
  }
  if (itf.table) {
    if (itf.table->kind == RouteTable::Kind::kName && !valid_table_name(itf.table->name))
      return fail("Table: the name is not a valid routing table name");
    out += fmt::format("Table = {}\n", itf.table->to_string());
  }
  const std::pair<std::string_view, const std::vector<std::string>*> hooks[] = {
      {"PreUp", &itf.pre_up},
      {"PostUp", &itf.post_up},
      {"PreDown", &itf.pre_down},
      {"PostDown", &itf.post_down}};
  for (const auto& [name, list] : hooks) {
    for (const auto& cmd : *list) {
      if (auto r = check_line_text(name, cmd); !r) return r;
      if (cmd.empty() || trim(cmd) != cmd)
        return failf("{}: a hook must be a non-empty command without surrounding blanks", name);
      out += fmt::format("{} = {}\n", name, cmd);
    }
  }
  if (itf.save_config) out += "SaveConfig = true\n";
  return {};
}

Result<void> render_peer(std::string& out, const WgQuickPeer& peer, std::size_t index) {
  std::string where = fmt::format("peer {}", index + 1);
  if (auto r = render_comments(out, peer.comments, where); !r) return r;
  out += "[Peer]\n";
  out += fmt::format("PublicKey = {}\n", crypto::key_to_base64(peer.public_key));
  if (peer.preshared_key)
    out += fmt::format("PresharedKey = {}\n", crypto::key_to_base64(peer.preshared_key->span()));
  if (!peer.allowed_ips.empty())
    out += fmt::format("AllowedIPs = {}\n", join_prefixes(peer.allowed_ips));
  if (peer.endpoint) {
    if (auto r = check_endpoint_text(*peer.endpoint); !r)
      return failf("{}: Endpoint: {}", where, r.error().message);
    out += fmt::format("Endpoint = {}\n", *peer.endpoint);
  }
  if (peer.persistent_keepalive) {
    out += *peer.persistent_keepalive
               ? fmt::format("PersistentKeepalive = {}\n", *peer.persistent_keepalive)
               : "PersistentKeepalive = off\n";
  }
  return {};
}

// The whole-file rules of the parser, so every rendered file reads back.
Result<void> check_peers(const WgQuickConfig& config) {
  std::optional<crypto::PublicKey> own;
  if (config.interface.private_key && !config.interface.private_key->is_zero())
    own = crypto::x25519_public(*config.interface.private_key);
  std::map<crypto::PublicKey, std::size_t> seen;
  for (std::size_t i = 0; i < config.peers.size(); ++i) {
    const auto& key = config.peers[i].public_key;
    if (auto [it, inserted] = seen.emplace(key, i); !inserted)
      return failf("peer {}: PublicKey: the same key as peer {}", i + 1, it->second + 1);
    if (own && crypto::equal_ct(*own, key))
      return failf("peer {}: PublicKey: the interface's own public key", i + 1);
  }
  return {};
}

Result<std::string> render(const WgQuickConfig& config, bool wg_quick_keys) {
  if (auto r = check_peers(config); !r) return std::unexpected(r.error());
  std::string out;
  if (auto r = render_interface(out, config.interface, wg_quick_keys); !r)
    return std::unexpected(r.error());
  for (std::size_t i = 0; i < config.peers.size(); ++i) {
    out += "\n";
    if (auto r = render_peer(out, config.peers[i], i); !r) return std::unexpected(r.error());
  }
  return out;
}

}  // namespace

Result<std::string> render_wg_quick(const WgQuickConfig& config) {
  return render(config, true);
}

Result<std::string> strip_wg_quick(const WgQuickConfig& config) {
  return render(config, false);
}

}  // namespace wgd::uapi
