#include "wg/cookie.h"

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/compare.h"
#include "wg/constants.h"

namespace wgd::wg {
namespace {

crypto::Hash label_key(std::string_view label, const crypto::PublicKey& key) {
  return crypto::blake2s256({as_bytes(label), key});
}

// What a cookie is bound to: the source address and port of the handshake message.
ByteSpan source_bytes(const Endpoint& source, std::uint8_t (&buf)[18]) {
  const std::size_t n = source.address.byte_length();
  std::memcpy(buf, source.address.bytes(), n);
  store_be16(buf + n, source.port);
  return {buf, n + 2};
}

bool expired(Nanos birth, Nanos lifetime, Nanos now) { return now - birth >= lifetime; }

}  // namespace

void CookieChecker::set_public_key(const crypto::PublicKey& ours) {
  mac1_key_ = label_key(kLabelMac1, ours);
  cookie_encryption_key_ = label_key(kLabelCookie, ours);
  has_key_ = true;
}

crypto::Mac CookieChecker::cookie_for(const Endpoint& source, Now now, Rng& rng) {
  if (!has_secret_ || expired(secret_birth_, kCookieSecretMaxAge, now.mono)) {
    rng.fill(secret_.span());
    secret_birth_ = now.mono;
    has_secret_ = true;
  }
  std::uint8_t buf[18];
  return crypto::blake2s_mac(secret_.span(), {source_bytes(source, buf)});
}

MacCheck CookieChecker::check(ByteSpan message, std::size_t mac1_at, std::size_t mac2_at,
                              const Endpoint& source, Now now, Rng& rng) {
  if (!has_key_) return MacCheck::kBadMac1;
  const crypto::Mac mac1 = crypto::blake2s_mac(mac1_key_, {message.first(mac1_at)});
  if (!crypto::equal_ct(mac1, message.subspan(mac1_at, 16))) return MacCheck::kBadMac1;
  const crypto::Mac cookie = cookie_for(source, now, rng);
  const crypto::Mac mac2 = crypto::blake2s_mac(cookie, {message.first(mac2_at)});
  if (!crypto::equal_ct(mac2, message.subspan(mac2_at, 16))) return MacCheck::kMac1Only;
  return MacCheck::kMac1AndMac2;
}

MessageCookieReply CookieChecker::make_reply(std::uint32_t sender_index, const Bytes16& mac1,
                                             const Endpoint& source, Now now, Rng& rng) {
  MessageCookieReply reply{};
  reply.type = le32_bytes(kMessageCookieReply);
  reply.receiver_index = le32_bytes(sender_index);
  rng.fill(reply.nonce);
  const crypto::Mac cookie = cookie_for(source, now, rng);
  crypto::xchacha20poly1305_seal(reply.encrypted_cookie, cookie_encryption_key_, reply.nonce,
                                 cookie, mac1);
  return reply;
}

CookieMaker::CookieMaker(const crypto::PublicKey& peer)
    : mac1_key_(label_key(kLabelMac1, peer)), cookie_decryption_key_(label_key(kLabelCookie, peer)) {}

void CookieMaker::stamp(MutableByteSpan message, std::size_t mac1_at, std::size_t mac2_at,
                        Now now) {
  const crypto::Mac mac1 = crypto::blake2s_mac(mac1_key_, {ByteSpan(message).first(mac1_at)});
  std::copy(mac1.begin(), mac1.end(), message.begin() + mac1_at);
  std::copy(mac1.begin(), mac1.end(), last_mac1_.begin());
  have_sent_mac1_ = true;

  if (has_cookie_ && !expired(cookie_birth_, kCookieSecretMaxAge - kCookieSecretLatency, now.mono)) {
    const crypto::Mac mac2 = crypto::blake2s_mac(cookie_, {ByteSpan(message).first(mac2_at)});
    std::copy(mac2.begin(), mac2.end(), message.begin() + mac2_at);
  } else {
    std::fill(message.begin() + mac2_at, message.begin() + mac2_at + 16, 0);
  }
}

bool CookieMaker::consume_reply(const MessageCookieReply& reply, Now now) {
  if (!have_sent_mac1_) return false;
  crypto::Mac cookie;
  if (!crypto::xchacha20poly1305_open(cookie, cookie_decryption_key_, reply.nonce,
                                      reply.encrypted_cookie, last_mac1_))
    return false;
  cookie_ = cookie;
  cookie_birth_ = now.mono;
  has_cookie_ = true;
  have_sent_mac1_ = false;  // one reply per message sent
  return true;
}

}  // namespace wgd::wg
