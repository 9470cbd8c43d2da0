// The per-peer timers of the WireGuard paper (section 6), as the kernel's timers.c arranges them:
//
//  timer                 armed when                                   on expiry
//  retransmit_handshake  an initiation is sent (REKEY_TIMEOUT+jitter)  resend, up to
//                                                                      MAX_TIMER_HANDSHAKES, then
//                                                                      give up and drop staged data
//  send_keepalive        data is received and none is pending         send a keepalive (again
//                        (KEEPALIVE_TIMEOUT); cancelled by any send   later if more data came)
//  new_handshake         data is sent and none is pending             initiate: the peer stopped
//                        (KEEPALIVE+REKEY_TIMEOUT+jitter); cancelled  answering
//                        by any authenticated receive
//  zero_key_material     a session is derived (3 x REJECT_AFTER_TIME) wipe all sessions and the
//                                                                      handshake
//  persistent_keepalive  any authenticated packet in or out           send a keepalive
//                        (the configured interval)
//
// Times are monotonic nanoseconds; kNever means "not armed".
#pragma once

#include "wg/clock.h"

namespace wgd::wg {

struct PeerTimers {
  Nanos retransmit_handshake = kNever;
  Nanos send_keepalive = kNever;
  Nanos new_handshake = kNever;
  Nanos zero_key_material = kNever;
  Nanos persistent_keepalive = kNever;

  int handshake_attempts = 0;
  bool need_another_keepalive = false;
  bool sent_lastminute_handshake = false;

  Nanos earliest() const {
    Nanos e = retransmit_handshake;
    for (Nanos t : {send_keepalive, new_handshake, zero_key_material, persistent_keepalive})
      if (t < e) e = t;
    return e;
  }
};

}  // namespace wgd::wg
