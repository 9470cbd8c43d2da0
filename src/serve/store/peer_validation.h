// Field rules for peers, in one place, so the REST layer, the CLI and every store backend
// reject the same input with the same message (always naming the field).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "serve/store/address_allocator.h"
#include "serve/store/peer_record.h"
#include "serve/store/peer_spec.h"
#include "util/error.h"

namespace wgd::serve {

// 1-63 characters of [A-Za-z0-9_.-], starting with a letter or digit: usable as a host name
// label in the hosts file and as a file name for the client config.
Result<void> validate_peer_name(std::string_view name);
// 1-63 characters of [A-Za-z0-9_.:-] (e.g. "api", "provisioning", "fleet:site-a").
Result<void> validate_managed_by(std::string_view tag);
// At most 1024 bytes and no control characters, so it cannot break a rendered config line.
Result<void> validate_description(std::string_view text);
// An IP address or a DNS search domain, as wg-quick's DNS= accepts.
Result<void> validate_dns_entry(std::string_view entry);
// Settings keys: 1-128 characters of [A-Za-z0-9_.:-].
Result<void> validate_setting_key(std::string_view key);

// A record with every field of `spec` except the tunnel addresses, validated and normalised:
// keys resolved (generated when none are given), prefixes canonical (host bits cleared),
// keepalive 0 read as "off". `pool` is needed to check the extra routes.
Result<PeerRecord> draft_peer(const NewPeer& spec, const AddressPool& pool);

// Applies every field of `update` except the tunnel addresses and expected_revision to `peer`,
// with the same rules as draft_peer. On error `peer` may be partly changed; callers work on a
// copy.
Result<void> apply_update(PeerRecord& peer, const PeerUpdate& update, const AddressPool& pool);

}  // namespace wgd::serve
