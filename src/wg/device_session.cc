// Device: the three sessions of a peer (previous / current / next) and their lifetimes.
#include "wg/device.h"

namespace wgd::wg {

void Device::drop_keypair(KeypairPtr& slot) {
  if (!slot) return;
  auto it = indices_.find(slot->local_index);
  if (it != indices_.end() && it->second.keypair == slot) indices_.erase(it);
  slot.reset();  // packets in flight still hold it; it dies with the last of them
}

void Device::install_keypair(Peer& peer, KeypairPtr keypair) {
  Sessions& s = peer.sessions;
  if (keypair->initiator) {
    // The response confirmed the session: it can be used at once.
    if (s.next) {
      // An unconfirmed session of ours as responder becomes the previous one; the current is
      // dropped (as the kernel does, to be robust to crossing handshakes).
      drop_keypair(s.previous);
      s.previous = std::move(s.next);
      drop_keypair(s.current);
    } else {
      drop_keypair(s.previous);
      s.previous = std::move(s.current);
    }
    s.current = std::move(keypair);
  } else {
    // As responder we may not send until the initiator's first data packet confirms it.
    drop_keypair(s.next);
    s.next = std::move(keypair);
    drop_keypair(s.previous);
  }
}

bool Device::confirm_keypair(Peer& peer, const KeypairPtr& keypair) {
  Sessions& s = peer.sessions;
  if (!s.next || keypair != s.next) return false;
  drop_keypair(s.previous);
  s.previous = std::move(s.current);
  s.current = std::move(s.next);
  return true;
}

void Device::clear_sessions(Peer& peer) {
  drop_keypair(peer.sessions.previous);
  drop_keypair(peer.sessions.current);
  drop_keypair(peer.sessions.next);
  if (peer.handshake.local_index) unregister_index(peer.handshake.local_index);
  peer.handshake.zero();
}

void Device::expire_current_sessions(Peer& peer) {
  if (peer.handshake.local_index) unregister_index(peer.handshake.local_index);
  peer.handshake.zero();
  peer.last_sent_handshake = kLongAgo;  // allow a new initiation at once
  if (peer.sessions.next) peer.sessions.next->send_valid = false;
  if (peer.sessions.current) peer.sessions.current->send_valid = false;
}

bool Device::session_usable_for_send(const Keypair& kp, Now now) const {
  return kp.send_valid && now.mono - kp.created < options_.timers.reject_after_time &&
         kp.send_counter < options_.timers.reject_after_messages;
}

}  // namespace wgd::wg
