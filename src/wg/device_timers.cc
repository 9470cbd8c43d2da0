// Device: the timer rules of the paper, as event hooks plus one expiry handler per timer.
// The table of what arms what is at the top of timers.h.
#include "wg/device.h"

namespace wgd::wg {

Nanos Device::jitter() {
  const Nanos max = options_.timers.rekey_timeout_jitter_max;
  return max > 0 ? static_cast<Nanos>(rng_.below(static_cast<std::uint32_t>(max))) : 0;
}

void Device::schedule(Peer& peer, Nanos at) {
  if (at < peer.scheduled_at) {
    peer.scheduled_at = at;
    wakeups_.emplace(at, peer.id);
  }
}

void Device::arm(Peer& peer, Nanos& timer, Nanos at) {
  timer = at;
  schedule(peer, at);
}

void Device::timers_data_sent(Now now, Peer& peer) {
  if (peer.timers.new_handshake == kNever)
    arm(peer, peer.timers.new_handshake,
        now.mono + options_.timers.keepalive_timeout + options_.timers.rekey_timeout + jitter());
}

void Device::timers_data_received(Now now, Peer& peer) {
  if (peer.timers.send_keepalive == kNever)
    arm(peer, peer.timers.send_keepalive, now.mono + options_.timers.keepalive_timeout);
  else
    peer.timers.need_another_keepalive = true;
}

void Device::timers_any_authenticated_packet_sent(Peer& peer) {
  peer.timers.send_keepalive = kNever;
}

void Device::timers_any_authenticated_packet_received(Peer& peer) {
  peer.timers.new_handshake = kNever;
}

void Device::timers_any_authenticated_packet_traversal(Now now, Peer& peer) {
  if (peer.persistent_keepalive)
    arm(peer, peer.timers.persistent_keepalive,
        now.mono + Nanos{peer.persistent_keepalive} * kSecond);
}

void Device::timers_handshake_initiated(Now now, Peer& peer) {
  arm(peer, peer.timers.retransmit_handshake,
      now.mono + options_.timers.rekey_timeout + jitter());
}

void Device::timers_handshake_complete(Now now, Peer& peer) {
  peer.timers.retransmit_handshake = kNever;
  peer.timers.handshake_attempts = 0;
  peer.timers.sent_lastminute_handshake = false;
  peer.last_handshake_wall = now.wall;
}

void Device::timers_session_derived(Now now, Peer& peer) {
  arm(peer, peer.timers.zero_key_material, now.mono + 3 * options_.timers.reject_after_time);
}

void Device::run_expired_timers(Now now, Peer& peer, Sink& out) {
  PeerTimers& t = peer.timers;
  if (t.retransmit_handshake <= now.mono) {
    t.retransmit_handshake = kNever;
    if (t.handshake_attempts > options_.timers.max_timer_handshakes()) {
      // Give up: drop what waited for a session and clean up later.
      t.send_keepalive = kNever;
      peer.staged.clear();
      if (t.zero_key_material == kNever)
        arm(peer, t.zero_key_material, now.mono + 3 * options_.timers.reject_after_time);
    } else {
      ++t.handshake_attempts;
      send_initiation(now, peer, true, out);
    }
  }
  if (t.send_keepalive <= now.mono) {
    t.send_keepalive = kNever;
    send_keepalive(now, peer, out);
    if (t.need_another_keepalive) {
      t.need_another_keepalive = false;
      arm(peer, t.send_keepalive, now.mono + options_.timers.keepalive_timeout);
    }
  }
  if (t.new_handshake <= now.mono) {
    // We sent data and heard nothing back for KEEPALIVE + REKEY_TIMEOUT.
    t.new_handshake = kNever;
    send_initiation(now, peer, false, out);
  }
  if (t.zero_key_material <= now.mono) {
    t.zero_key_material = kNever;
    clear_sessions(peer);
  }
  if (t.persistent_keepalive <= now.mono) {
    t.persistent_keepalive = kNever;
    if (peer.persistent_keepalive) send_keepalive(now, peer, out);
  }
}

Nanos Device::tick(Now now, Sink& out) {
  while (!wakeups_.empty() && wakeups_.top().first <= now.mono) {
    const auto [at, id] = wakeups_.top();
    wakeups_.pop();
    Peer* peer = find_peer(id);
    if (!peer || peer->scheduled_at != at) continue;  // removed, or superseded by an earlier one
    peer->scheduled_at = kNever;
    run_expired_timers(now, *peer, out);
    schedule(*peer, peer->timers.earliest());
  }
  return next_deadline();
}

Nanos Device::next_deadline() const { return wakeups_.empty() ? kNever : wakeups_.top().first; }

}  // namespace wgd::wg
