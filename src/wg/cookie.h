// mac1, mac2 and cookie replies (WireGuard paper section 5.4.4 and 5.4.7).
//
// CookieChecker is the receiving side for one interface (keyed by our own public key): it checks
// mac1 always, and mac2 when the caller says it is under load, and makes cookie replies.
// CookieMaker is the sending side for one peer (keyed by the peer's public key): it stamps mac1
// (and mac2 while it holds a fresh cookie) on our handshake messages and takes cookie replies.
#pragma once

#include <optional>

#include "crypto/types.h"
#include "util/bytes.h"
#include "util/ip.h"
#include "wg/clock.h"
#include "wg/messages.h"
#include "wg/rng.h"

namespace wgd::wg {

enum class MacCheck { kBadMac1, kMac1Only, kMac1AndMac2 };

class CookieChecker {
 public:
  void set_public_key(const crypto::PublicKey& ours);

  // `message` is a whole initiation or response; mac offsets come from its type.
  // kMac1AndMac2 when mac2 proves a cookie from us for `source`.
  MacCheck check(ByteSpan message, std::size_t mac1_at, std::size_t mac2_at,
                 const Endpoint& source, Now now, Rng& rng);

  // The cookie reply to a handshake message from `source` that arrived while under load.
  MessageCookieReply make_reply(std::uint32_t sender_index, const Bytes16& mac1,
                                const Endpoint& source, Now now, Rng& rng);

 private:
  crypto::Mac cookie_for(const Endpoint& source, Now now, Rng& rng);

  bool has_key_ = false;
  crypto::Hash mac1_key_{};
  crypto::Hash cookie_encryption_key_{};
  crypto::Secret<32> secret_;  // rotated every two minutes
  Nanos secret_birth_ = 0;
  bool has_secret_ = false;
};

class CookieMaker {
 public:
  explicit CookieMaker(const crypto::PublicKey& peer);

  // Fills mac1 (and mac2 with a fresh cookie, else zeros) of an outgoing message.
  void stamp(MutableByteSpan message, std::size_t mac1_at, std::size_t mac2_at, Now now);

  // Accepts a cookie reply for the message we sent last. False if it does not authenticate.
  bool consume_reply(const MessageCookieReply& reply, Now now);

 private:
  crypto::Hash mac1_key_{};
  crypto::Hash cookie_decryption_key_{};
  Bytes16 last_mac1_{};
  bool have_sent_mac1_ = false;
  crypto::Mac cookie_{};
  Nanos cookie_birth_ = 0;
  bool has_cookie_ = false;
};

}  // namespace wgd::wg
