#include "serve/provision/provisioner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "qr/png_render.h"
#include "qr/qr_code.h"
#include "qr/terminal_render.h"
#include "serve/fleet/address_renumber.h"
#include "serve/provision/config_tree.h"
#include "serve/provision/container_import.h"
#include "serve/provision/container_templates.h"
#include "serve/store/store_error.h"

namespace wgd::serve::provision {
namespace {

constexpr std::uint16_t kKeepalive = 25;  // the container's PersistentKeepalive
constexpr mode_t kSecretMode = 0600;      // keys, configs and QR codes all carry a key

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// What PEERS and the other variables ask of one peer.
struct Desired {
  std::vector<IpPrefix> client_allowed_ips;
  std::vector<std::string> dns;
  std::optional<std::uint16_t> keepalive;
  std::vector<IpPrefix> extra_allowed_ips;
};

class Run {
 public:
  Run(PeerService& service, const ProvisionSettings& settings, const ProvisionServer& server,
      const ConfPrinter& print)
      : service_(service), settings_(settings), server_(server), print_(print),
        tree_(settings.config_dir, settings.puid, settings.pgid),
        subnet_(TunnelSubnet::from_interface_address(server.ipv4_address)) {
    // PEERDNS=auto: the server's tunnel address, as the container's ${INTERFACE}.1.
    dns_text_ = settings.peer_dns == "auto" ? server.ipv4_address.address.to_string() : settings.peer_dns;
    dns_ = split_list(dns_text_);
  }

  Result<ProvisionReport> run() {
    if (auto ok = tree_.prepare_root(); !ok) return std::unexpected(ok.error());
    if (auto ok = write_server_files(); !ok) return std::unexpected(ok.error());
    if (settings_.peer_dns == "auto")
      spdlog::warn("provisioning: PEERDNS=auto gives clients DNS = {}, the server's tunnel address, "
                   "as the container does; wgd runs no DNS server there: run a resolver listening "
                   "on it, or set PEERDNS to one the clients can reach (docs/provisioning.md)",
                   dns_text_);
    if (server_.endpoint.empty())
      spdlog::warn("provisioning: no endpoint for the peer configs (SERVERURL unset and no default "
                   "route to guess it from): they have no Endpoint line until SERVERURL is set");

    std::vector<ServerConfPeer> in_server_conf;
    std::vector<PeerRecord> kept;  // owns the keys in_server_conf points to
    kept.reserve(settings_.peers.size());
    for (const auto& p : settings_.peers) {
      auto record = ensure_peer(p);
      if (!record) {
        report_.errors.push_back(fmt::format("{}: {}", p.peer_id, record.error().message));
        spdlog::error("provisioning {}: {}", p.peer_id, record.error().message);
        continue;
      }
      kept.push_back(std::move(*record));
      const PeerRecord& r = kept.back();
      if (auto ok = write_peer_files(p, r); !ok) {
        report_.errors.push_back(fmt::format("{}: {}", p.peer_id, ok.error().message));
        spdlog::error("provisioning {}: {}", p.peer_id, ok.error().message);
      }
      if (!r.ipv4) continue;  // ensure_peer asks for one; a full subnet fails before this
      ServerConfPeer s;
      s.peer_id = p.peer_id;
      s.public_key = r.public_key;
      s.preshared_key = r.preshared_key ? &*r.preshared_key : nullptr;
      s.address = *r.ipv4;
      if (auto it = settings_.server_allowed_ips_text.find(p.entry); it != settings_.server_allowed_ips_text.end())
        s.extra_allowed_ips = it->second;
      s.keepalive = settings_.keepalive_for(p);
      in_server_conf.push_back(std::move(s));
    }
    disable_unlisted();

    if (auto ok = tree_.ensure_dir("wg_confs"); !ok) return std::unexpected(ok.error());
    const std::string conf = render_server_conf(server_.ipv4_address.address, server_.listen_port,
                                                *server_.private_key, in_server_conf);
    if (auto ok = count(tree_.write("wg_confs/wg0.conf", conf, kSecretMode)); !ok)
      return std::unexpected(ok.error());
    // Older containers (and seed 001's tree) have it at the top; newer ones in wg_confs/.
    if (auto ok = tree_.link("wg0.conf", "wg_confs/wg0.conf"); !ok) return std::unexpected(ok.error());
    note_templates();
    return std::move(report_);
  }

 private:
  Result<void> count(Result<bool> wrote) {
    if (!wrote) return std::unexpected(wrote.error());
    if (*wrote) ++report_.files_written;
    return {};
  }

  Result<void> write_server_files() {
    if (auto ok = tree_.ensure_dir("server"); !ok) return ok;
    auto existing = read_container_server_key(tree_);
    if (existing && *existing &&
        crypto::key_to_base64((*existing)->span()) != crypto::key_to_base64(server_.private_key->span()))
      spdlog::warn("provisioning: {} held another key than the server's (kept in wgd's store); it "
                   "is replaced by the server's key",
                   tree_.path("server/privatekey-server").string());
    if (auto ok = count(tree_.write("server/privatekey-server", key_file_text(server_.private_key->span()), kSecretMode)); !ok)
      return ok;
    return count(tree_.write("server/publickey-server", key_file_text(server_.public_key), kSecretMode));
  }

  Desired desired_for(const ProvisionedName& p) const {
    Desired d;
    d.client_allowed_ips = settings_.allowed_ips;
    d.dns = dns_;
    if (settings_.keepalive_for(p)) d.keepalive = kKeepalive;
    if (auto it = settings_.server_allowed_ips.find(p.entry); it != settings_.server_allowed_ips.end())
      d.extra_allowed_ips = it->second;
    return d;
  }

  // The peer in the store as PEERS wants it: created, taken over, updated or left alone.
  Result<PeerRecord> ensure_peer(const ProvisionedName& p) {
    const Desired d = desired_for(p);
    auto existing = service_.get(PeerRef(p.name));
    if (!existing) {
      if (store_error_kind(existing.error()) != StoreErrorKind::kNotFound) return std::unexpected(existing.error());
      return create_peer(p, d);
    }
    PeerRecord& r = existing->record;
    if (r.managed_by != kManagedBy)
      return failf("a peer named '{}' already exists and is managed by '{}', not by PEERS: rename "
                   "one of them",
                   r.name, r.managed_by);
    PeerUpdate u;
    bool enable = false;
    if (!r.enabled) {
      u.enabled = true;
      enable = true;
    }
    if (r.client_allowed_ips != d.client_allowed_ips) u.client_allowed_ips = d.client_allowed_ips;
    if (r.dns != d.dns) u.dns = d.dns;
    if (r.persistent_keepalive != d.keepalive) u.persistent_keepalive = d.keepalive;
    if (r.extra_allowed_ips != d.extra_allowed_ips) u.extra_allowed_ips = d.extra_allowed_ips;
    if (!r.ipv4) {
      u.ipv4 = AddressRequest::automatic();
    } else if (!subnet_.subnet.contains(*r.ipv4)) {
      // INTERNAL_SUBNET moved: the same host part in the new subnet, else the next free one
      // (an automatic request keeps the address a peer has, so the old one goes first).
      if (auto moved = renumber_into(*r.ipv4, subnet_)) {
        u.ipv4 = AddressRequest::exactly(*moved);
      } else {
        PeerUpdate release;
        release.ipv4 = AddressRequest::none();
        if (auto ok = service_.update(PeerRef(std::int64_t{r.id}), release); !ok) return std::unexpected(ok.error());
        u.ipv4 = AddressRequest::automatic();
      }
    }
    const bool any = u.enabled || u.client_allowed_ips || u.dns || u.persistent_keepalive ||
                     u.extra_allowed_ips || u.ipv4;
    if (!any) {
      ++report_.unchanged;
      return std::move(r);
    }
    auto updated = service_.update(PeerRef(std::int64_t{r.id}), u);
    if (!updated && u.ipv4 && u.ipv4->mode == AddressRequest::Mode::kExplicit &&
        store_error_kind(updated.error()) == StoreErrorKind::kConflict) {
      spdlog::warn("provisioning {}: {} is taken; it gets the next free address", p.peer_id,
                   u.ipv4->address.to_string());
      PeerUpdate release;  // an automatic request would keep the address outside the subnet
      release.ipv4 = AddressRequest::none();
      if (auto ok = service_.update(PeerRef(std::int64_t{r.id}), release); !ok) return std::unexpected(ok.error());
      u.ipv4 = AddressRequest::automatic();
      updated = service_.update(PeerRef(std::int64_t{r.id}), u);
    }
    if (!updated) return std::unexpected(updated.error());
    if (enable) ++report_.enabled;
    else ++report_.updated;
    return std::move(updated->record);
  }

  Result<PeerRecord> create_peer(const ProvisionedName& p, const Desired& d) {
    auto files = read_container_peer(tree_, p);
    if (!files) return std::unexpected(files.error());
    const bool adopt = files->private_key.has_value();
    if (!adopt) {
      // New keys: a preshared key as the container makes one (`wg genpsk`) for every new peer.
      crypto::PresharedKey psk;
      crypto::random_bytes(psk.span());
      files->preshared_key = std::move(psk);
    }
    // A taken-over peer keeps the address of its old config (moved into the subnet if that
    // changed); keys without a preshared key stay without one, as the container keeps them.
    AddressRequest ipv4 = AddressRequest::automatic();
    if (adopt && files->address)
      if (auto a = renumber_into(*files->address, subnet_)) ipv4 = AddressRequest::exactly(*a);
    const auto request = [&](AddressRequest address) {
      NewPeer n;
      n.name = p.name;
      n.managed_by = std::string(kManagedBy);
      n.description = fmt::format("PEERS entry '{}' ({})", p.entry, p.peer_id);
      if (files->private_key) n.keys.private_key = files->private_key->clone();
      if (files->preshared_key) n.preshared_key = files->preshared_key->clone();
      n.ipv4 = address;
      n.ipv6 = AddressRequest::none();  // the container's configs are IPv4 only
      n.client_allowed_ips = d.client_allowed_ips;
      n.dns = d.dns;
      n.persistent_keepalive = d.keepalive;
      n.extra_allowed_ips = d.extra_allowed_ips;
      return n;
    };
    auto created = service_.create(request(ipv4));
    if (!created && ipv4.mode == AddressRequest::Mode::kExplicit &&
        store_error_kind(created.error()) == StoreErrorKind::kConflict) {
      spdlog::warn("provisioning {}: {} from its old config is taken; it gets the next free address",
                   p.peer_id, ipv4.address.to_string());
      created = service_.create(request(AddressRequest::automatic()));
    }
    if (!created) return std::unexpected(created.error());
    ++report_.created;
    if (adopt) {
      ++report_.adopted;
      spdlog::info("provisioning {}: keys taken over from {}", p.peer_id, tree_.path(p.peer_id).string());
    }
    return std::move(created->record);
  }

  Result<void> write_peer_files(const ProvisionedName& p, const PeerRecord& r) {
    if (!r.private_key)
      return fail("the server does not hold this peer's private key (it was changed through the "
                  "API), so its config cannot be written");
    if (!r.ipv4) return fail("the peer has no IPv4 tunnel address");
    const std::string& id = p.peer_id;
    if (auto ok = tree_.ensure_dir(id); !ok) return ok;
    if (auto ok = count(tree_.write(id + "/privatekey-" + id, key_file_text(r.private_key->span()), kSecretMode)); !ok)
      return ok;
    if (auto ok = count(tree_.write(id + "/publickey-" + id, key_file_text(r.public_key), kSecretMode)); !ok)
      return ok;
    if (r.preshared_key)
      if (auto ok = count(tree_.write(id + "/presharedkey-" + id, key_file_text(r.preshared_key->span()), kSecretMode)); !ok)
        return ok;

    PeerConfFields f;
    f.address = *r.ipv4;
    f.private_key = &*r.private_key;
    f.dns = dns_text_;
    f.server_public_key = server_.public_key;
    f.preshared_key = r.preshared_key ? &*r.preshared_key : nullptr;
    f.endpoint = server_.endpoint;
    f.allowed_ips = settings_.allowed_ips_text;
    const std::string conf = render_peer_conf(f);
    auto code = qr::encode(conf);  // as `qrencode -o peer.png < peer.conf`
    if (!code) return std::unexpected(code.error().context("QR code"));
    auto png = qr::to_png(*code);
    if (!png) return std::unexpected(png.error().context("QR code"));

    auto wrote_conf = tree_.write(id + "/" + id + ".conf", conf, kSecretMode);
    if (!wrote_conf) return std::unexpected(wrote_conf.error());
    auto wrote_png = tree_.write(id + "/" + id + ".png", *png, kSecretMode);
    if (!wrote_png) return std::unexpected(wrote_png.error());
    report_.files_written += *wrote_conf + *wrote_png;
    if (!*wrote_conf && !*wrote_png) return {};
    ++report_.configs_written;
    if (settings_.log_confs && print_)
      print_(fmt::format("PEER {} QR code (conf file is saved under {}):\n{}", p.entry,
                         tree_.path(id).string(), qr::to_ansi_utf8(*code)));
    else
      spdlog::info("provisioning: PEER {} conf and QR code png saved in {}", p.entry, tree_.path(id).string());
    return {};
  }

  // Peers provisioned before whose names PEERS no longer lists: disabled, kept with their files.
  void disable_unlisted() {
    PeerFilter filter;
    filter.managed_by = std::string(kManagedBy);
    auto all = service_.list(filter);
    if (!all) {
      report_.errors.push_back("listing provisioned peers: " + all.error().message);
      spdlog::error("provisioning: listing provisioned peers: {}", all.error().message);
      return;
    }
    for (const auto& v : all->peers) {
      const auto& r = v.record;
      const bool listed = std::any_of(settings_.peers.begin(), settings_.peers.end(),
                                      [&](const auto& p) { return lower(p.name) == lower(r.name); });
      if (listed || !r.enabled) continue;
      if (auto ok = service_.set_enabled(PeerRef(std::int64_t{r.id}), false); !ok) {
        report_.errors.push_back(fmt::format("{}: {}", r.name, ok.error().message));
        spdlog::error("provisioning: disabling {}: {}", r.name, ok.error().message);
        continue;
      }
      ++report_.disabled;
      spdlog::info("provisioning: {} is no longer in PEERS: disabled; its keys, address and files "
                   "are kept (list it again to bring it back)",
                   r.name);
    }
  }

  void note_templates() {
    std::error_code ec;
    if (std::filesystem::exists(tree_.path("templates/peer.conf"), ec) ||
        std::filesystem::exists(tree_.path("templates/server.conf"), ec))
      spdlog::info("provisioning: {} holds the container's shell templates; wgd writes the "
                   "container's default layout and does not evaluate them",
                   tree_.path("templates").string());
  }

  PeerService& service_;
  const ProvisionSettings& settings_;
  const ProvisionServer& server_;
  const ConfPrinter& print_;
  ConfigTree tree_;
  TunnelSubnet subnet_;
  std::string dns_text_;
  std::vector<std::string> dns_;
  ProvisionReport report_;
};

}  // namespace

Result<ProvisionReport> provision_peers(PeerService& service, const ProvisionSettings& settings,
                                        const ProvisionServer& server, const ConfPrinter& print) {
  if (!server.private_key) return fail("provisioning: the server's private key is missing");
  Run run(service, settings, server, print);
  auto report = run.run();
  if (!report) return std::unexpected(report.error().context("provisioning"));
  spdlog::info("provisioning: {} peers in PEERS: {} created ({} with keys taken over), {} updated, "
               "{} enabled again, {} unchanged, {} disabled (no longer listed), {} failed; "
               "{} files written in {}",
               settings.peers.size(), report->created, report->adopted, report->updated,
               report->enabled, report->unchanged, report->disabled, report->errors.size(),
               report->files_written, settings.config_dir);
  return report;
}

}  // namespace wgd::serve::provision
