// Everything the protocol core knows about one peer. Owned by the Device; not thread-safe on
// its own (the device is a single-owner state machine).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "crypto/types.h"
#include "util/bytes.h"
#include "util/ip.h"
#include "wg/cookie.h"
#include "wg/handshake.h"
#include "wg/keypair.h"
#include "wg/timers.h"

namespace wgd::wg {

struct Peer {
  Peer(std::uint64_t id, const crypto::PublicKey& key) : id(id), public_key(key), cookie(key) {}

  const std::uint64_t id;  // stable handle for the I/O layer; never reused
  const crypto::PublicKey public_key;

  // Configuration.
  crypto::PresharedKey preshared_key;  // all zeros when none is set
  std::optional<Endpoint> endpoint;    // configured, or learnt from the latest authenticated packet
  std::uint16_t persistent_keepalive = 0;  // seconds; 0 = off

  // Protocol state.
  Handshake handshake;
  CookieMaker cookie;
  Sessions sessions;
  std::deque<Bytes> staged;  // IP packets waiting for a session
  PeerTimers timers;
  Nanos last_sent_handshake = kLongAgo;  // initiations and responses
  Nanos scheduled_at = kNever;          // the earliest wake-up queued for this peer

  // Statistics, as `wg show` reports them.
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  Nanos last_handshake_wall = 0;  // Unix ns of the latest completed handshake; 0 = never
};

}  // namespace wgd::wg
