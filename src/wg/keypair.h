// A session: the pair of transport keys one handshake produced, and the counters that go with
// them. The keys never change after creation, so the AEAD work on a keypair can run on any
// thread while the device's state machine moves on (the keypair is shared, never copied).
#pragma once

#include <cstdint>
#include <memory>

#include "crypto/types.h"
#include "wg/clock.h"
#include "wg/replay_window.h"

namespace wgd::wg {

struct Keypair {
  explicit Keypair(std::uint64_t reject_after_messages) : replay(reject_after_messages) {}

  crypto::SymmetricKey send_key;
  crypto::SymmetricKey receive_key;
  std::uint32_t local_index = 0;   // what the peer puts in transport messages to us
  std::uint32_t remote_index = 0;  // what we put in transport messages to the peer
  Nanos created = 0;               // monotonic time of the handshake
  bool initiator = false;          // whether we initiated the handshake that made it

  // Mutable state, touched only under the device's lock (the state machine is single-owner).
  std::uint64_t send_counter = 0;  // next nonce to use
  bool send_valid = true;
  bool receive_valid = true;
  ReplayWindow replay;
};

using KeypairPtr = std::shared_ptr<Keypair>;

// The three sessions of a peer (WireGuard paper section 6.2, kernel noise_keypairs):
// `next` is a responder's fresh session not yet confirmed by a first data packet from the
// initiator; `current` is what we send with; `previous` still decrypts stragglers.
struct Sessions {
  KeypairPtr previous, current, next;
};

}  // namespace wgd::wg
