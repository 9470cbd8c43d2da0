// What callers hand the store to create or change a peer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/types.h"
#include "serve/store/peer_record.h"
#include "util/ip.h"

namespace wgd::serve {

// How one address family of a peer is chosen.
struct AddressRequest {
  enum class Mode : std::uint8_t {
    kNone,      // no address in this family (an update clears it)
    kAuto,      // lowest free address of the family's tunnel subnet; nothing when the server has
                // no subnet in this family; in an update, keeps an address the peer already has
    kExplicit,  // exactly `address`, which must be a free host address of the subnet
  };
  Mode mode = Mode::kAuto;
  IpAddress address;  // only for kExplicit

  static AddressRequest none() { return {Mode::kNone, {}}; }
  static AddressRequest automatic() { return {Mode::kAuto, {}}; }
  static AddressRequest exactly(IpAddress a) { return {Mode::kExplicit, a}; }
};

// The peer's key pair. Nothing given: the store generates a pair and keeps the private key.
// Only the private key: the public key is derived. Only the public key: the client holds the
// private key and the server never sees it. Both: they must match.
struct KeyMaterial {
  std::optional<crypto::PublicKey> public_key;
  std::optional<crypto::PrivateKey> private_key;

  KeyMaterial clone() const;
};

struct NewPeer {
  std::string name;
  KeyMaterial keys;
  std::optional<crypto::PresharedKey> preshared_key;
  AddressRequest ipv4 = AddressRequest::automatic();
  AddressRequest ipv6 = AddressRequest::automatic();
  std::vector<IpPrefix> extra_allowed_ips;
  std::vector<IpPrefix> client_allowed_ips;
  std::vector<std::string> dns;
  std::optional<std::uint16_t> persistent_keepalive;
  std::string description;
  bool enabled = true;
  std::optional<std::int64_t> expires_at;
  std::string managed_by{kDefaultManagedBy};
};

// A partial change: an empty optional leaves the field alone. For nullable fields the inner
// optional is the new value, so `std::optional<std::uint16_t>{}` inside clears it.
struct PeerUpdate {
  std::optional<std::int64_t> expected_revision;  // fail with kConflict if the row moved on
  std::optional<std::string> name;
  std::optional<KeyMaterial> keys;  // re-key, with the same rules as on create
  std::optional<std::optional<crypto::PresharedKey>> preshared_key;
  std::optional<AddressRequest> ipv4, ipv6;
  std::optional<std::vector<IpPrefix>> extra_allowed_ips;
  std::optional<std::vector<IpPrefix>> client_allowed_ips;
  std::optional<std::vector<std::string>> dns;
  std::optional<std::optional<std::uint16_t>> persistent_keepalive;
  std::optional<std::string> description;
  std::optional<bool> enabled;
  std::optional<std::optional<std::int64_t>> expires_at;
  std::optional<std::string> managed_by;
};

struct PeerFilter {
  std::string name_contains;  // case-insensitive substring; empty = any
  std::optional<bool> enabled;
  std::optional<std::string> managed_by;
  std::size_t limit = 0;  // 0 = no limit
  std::size_t offset = 0;
};

struct PeerPage {
  std::vector<PeerRecord> peers;  // ordered by id
  std::int64_t total = 0;         // peers matching the filter, ignoring limit/offset
};

}  // namespace wgd::serve
