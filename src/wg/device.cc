// Device: configuration, status and the receiver-index table.
#include "wg/device.h"

#include <algorithm>
#include <cerrno>

#include "crypto/x25519.h"

namespace wgd::wg {

const char* drop_name(Drop d) {
  switch (d) {
    case Drop::kShort: return "short";
    case Drop::kUnknownType: return "unknown_type";
    case Drop::kBadMac1: return "bad_mac1";
    case Drop::kCookieSent: return "cookie_sent";
    case Drop::kNoIdentity: return "no_identity";
    case Drop::kHandshakeInvalid: return "handshake_invalid";
    case Drop::kUnknownPeer: return "unknown_peer";
    case Drop::kReplayedHandshake: return "replayed_handshake";
    case Drop::kUnknownIndex: return "unknown_index";
    case Drop::kStaleSession: return "stale_session";
    case Drop::kDecryptFailed: return "decrypt_failed";
    case Drop::kReplayedCounter: return "replayed_counter";
    case Drop::kNotIp: return "not_ip";
    case Drop::kSourceNotAllowed: return "source_not_allowed";
    case Drop::kNoRoute: return "no_route";
    case Drop::kBadCookieReply: return "bad_cookie_reply";
    case Drop::kStagedOverflow: return "staged_overflow";
    case Drop::kCount: break;
  }
  return "?";
}

Device::Device(Rng& rng, DeviceOptions options) : rng_(rng), options_(options) {}

Device::~Device() = default;

std::optional<crypto::PublicKey> Device::public_key() const {
  if (!identity_.has_key()) return std::nullopt;
  return identity_.public_key;
}

Peer* Device::find_peer(std::uint64_t id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

Peer* Device::find_peer(const crypto::PublicKey& key) {
  auto it = peers_by_key_.find(key);
  return it == peers_by_key_.end() ? nullptr : it->second;
}

Result<void> Device::validate(const DeviceChange& change) const {
  // Parsers already reject malformed values; this guards the invariants the state machine relies
  // on, so that apply() below cannot fail half-way.
  for (const PeerChange& p : change.peers) {
    for (const IpPrefix& ip : p.allowed_ips) {
      if (ip.length < 0 || ip.length > ip.address.bit_length())
        return fail("allowed_ip " + ip.to_string() + " has an invalid prefix length", EINVAL);
    }
    if (p.endpoint && p.endpoint->address.is_unspecified())
      return fail("endpoint " + p.endpoint->to_string() + " has an unspecified address", EINVAL);
  }
  return {};
}

Result<void> Device::apply(const DeviceChange& change, Now now, Sink& out) {
  if (auto ok = validate(change); !ok) return ok;
  if (change.listen_port) listen_port_ = *change.listen_port;
  if (change.fwmark) fwmark_ = *change.fwmark;
  if (change.private_key) set_private_key(*change.private_key, now);
  if (change.replace_peers) {
    while (!peer_order_.empty()) remove_peer(find_peer(peer_order_.back()));
  }
  for (const PeerChange& p : change.peers) apply_peer(p, now, out);
  return {};
}

void Device::set_private_key(const crypto::PrivateKey& key, Now now) {
  (void)now;
  if (key.is_zero()) {
    identity_ = StaticIdentity{};
  } else {
    if (identity_.private_key && crypto::x25519_public(*identity_.private_key) ==
                                     crypto::x25519_public(key))
      return;  // unchanged: keep every session
    const crypto::PublicKey pub = crypto::x25519_public(key);
    // A peer cannot have our own key; the kernel removes such a peer the same way.
    if (Peer* self = find_peer(pub)) remove_peer(self);
    identity_.private_key = key.clone();
    identity_.public_key = pub;
    identity_.responder_initial = noise::initial_state(kConstruction, as_bytes(kIdentifier), pub);
    cookie_checker_.set_public_key(pub);
  }
  // Everything derived from the old key is void: precomputations, handshakes, sessions.
  for (auto& [id, peer] : peers_) {
    handshake_precompute(peer->handshake, identity_, peer->public_key);
    expire_current_sessions(*peer);
  }
}

Peer* Device::create_peer(const crypto::PublicKey& key) {
  auto peer = std::make_unique<Peer>(next_peer_id_++, key);
  handshake_precompute(peer->handshake, identity_, key);
  Peer* raw = peer.get();
  peers_by_key_[key] = raw;
  peer_order_.push_back(raw->id);
  peers_[raw->id] = std::move(peer);
  return raw;
}

void Device::remove_peer(Peer* peer) {
  allowed_ips_.remove_all(peer);
  clear_sessions(*peer);
  peers_by_key_.erase(peer->public_key);
  peer_order_.erase(std::find(peer_order_.begin(), peer_order_.end(), peer->id));
  peers_.erase(peer->id);  // stale wake-ups for this id are skipped by tick()
}

void Device::apply_peer(const PeerChange& change, Now now, Sink& out) {
  // Peers carrying our own public key are ignored, so one list can configure every member of a
  // mesh (the kernel does the same).
  if (identity_.has_key() && change.public_key == identity_.public_key) return;
  Peer* peer = find_peer(change.public_key);
  if (change.remove) {
    if (peer) remove_peer(peer);
    return;
  }
  if (!peer) {
    if (change.update_only) return;
    peer = create_peer(change.public_key);
  }
  if (change.preshared_key) peer->preshared_key = change.preshared_key->clone();
  if (change.endpoint) peer->endpoint = change.endpoint;
  if (change.replace_allowed_ips) allowed_ips_.remove_all(peer);
  for (const IpPrefix& ip : change.allowed_ips) allowed_ips_.insert(ip, peer);
  if (change.persistent_keepalive) {
    const bool was_off = peer->persistent_keepalive == 0;
    peer->persistent_keepalive = *change.persistent_keepalive;
    if (peer->persistent_keepalive == 0) {
      peer->timers.persistent_keepalive = kNever;
    } else if (was_off) {
      send_keepalive(now, *peer, out);  // start at once rather than after the first interval
    }
  }
}

DeviceStatus Device::status() const {
  DeviceStatus s;
  if (identity_.private_key) {
    s.private_key = identity_.private_key->clone();
    s.public_key = identity_.public_key;
  }
  s.listen_port = listen_port_;
  s.fwmark = fwmark_;
  s.peers.reserve(peer_order_.size());
  for (std::uint64_t id : peer_order_) {
    const Peer& p = *peers_.at(id);
    PeerStatus ps;
    ps.public_key = p.public_key;
    if (!p.preshared_key.is_zero()) ps.preshared_key = p.preshared_key.clone();
    ps.endpoint = p.endpoint;
    ps.persistent_keepalive = p.persistent_keepalive;
    ps.allowed_ips = allowed_ips_.prefixes_of(const_cast<Peer*>(&p));
    ps.last_handshake_sec = p.last_handshake_wall / kSecond;
    ps.last_handshake_nsec = p.last_handshake_wall % kSecond;
    ps.rx_bytes = p.rx_bytes;
    ps.tx_bytes = p.tx_bytes;
    s.peers.push_back(std::move(ps));
  }
  return s;
}

std::uint32_t Device::register_index(Peer* peer, KeypairPtr keypair) {
  for (;;) {
    const std::uint32_t index = rng_.u32();
    if (index == 0) continue;  // 0 means "none" in Handshake::local_index
    if (indices_.emplace(index, IndexEntry{peer, std::move(keypair)}).second) return index;
  }
}

void Device::unregister_index(std::uint32_t index) {
  if (index != 0) indices_.erase(index);
}

}  // namespace wgd::wg
