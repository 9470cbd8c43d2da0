// Invariants shared by the message decoder fuzz targets.
#pragma once

#include <cstring>
#include <optional>

#include "crypto/blake2s.h"
#include "fuzz_check.h"
#include "util/bytes.h"
#include "util/ip.h"
#include "wg/cookie.h"
#include "wg/messages.h"
#include "wg/test_support.h"

namespace wgd::fuzz {

using namespace wgd::wg;

// What the wire format says, computed without the code under test: a fixed-size message is
// exactly its size, and its first word is its type with the three reserved bytes zero.
inline bool has_type_and_size(ByteSpan in, std::uint32_t type, std::size_t size) {
  return in.size() == size && in[0] == type && in[1] == 0 && in[2] == 0 && in[3] == 0;
}

// decode_* accepts exactly the datagrams of its size and type, and the decoded struct is the
// datagram byte for byte (so re-encoding it gives the same bytes back).
template <class M>
void check_fixed_decoder(ByteSpan in, std::uint32_t type, std::optional<M> decoded) {
  FUZZ_CHECK(decoded.has_value() == has_type_and_size(in, type, sizeof(M)));
  if (!decoded) return;
  const ByteSpan re = as_span(*decoded);
  FUZZ_CHECK(re.size() == in.size());
  FUZZ_CHECK(std::memcmp(re.data(), in.data(), in.size()) == 0);
  FUZZ_CHECK(le32_of(decoded->type) == type);
  FUZZ_CHECK(message_type(in) == type);
}

// A datagram decodes as at most one kind of message, and then as the kind its type word names.
inline void check_at_most_one_kind(ByteSpan in) {
  const bool init = decode_initiation(in).has_value();
  const bool resp = decode_response(in).has_value();
  const bool cookie = decode_cookie_reply(in).has_value();
  const bool transport = decode_transport(in).has_value();
  FUZZ_CHECK(init + resp + cookie + transport <= 1);
  if (init) FUZZ_CHECK(message_type(in) == kMessageInitiation);
  if (resp) FUZZ_CHECK(message_type(in) == kMessageResponse);
  if (cookie) FUZZ_CHECK(message_type(in) == kMessageCookieReply);
  if (transport) FUZZ_CHECK(message_type(in) == kMessageTransport);
}

// A source endpoint made of input bytes (v4 or v6), so cookies are bound to varied addresses.
inline Endpoint endpoint_from(ByteSpan b) {
  std::array<std::uint8_t, 16> a{};
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] = b[i];
  Endpoint e;
  if (!b.empty() && (b[0] & 1)) {
    e.address = IpAddress::v6(a);
  } else {
    e.address = IpAddress::v4(std::array<std::uint8_t, 4>{a[0], a[1], a[2], a[3]});
  }
  e.port = static_cast<std::uint16_t>(a[4] | (a[5] << 8));
  return e;
}

// The keys of the cookie layer are hashes of a public key, so any 32 bytes serve; here they
// depend on the input, so that no input can carry a mac made for it in advance.
inline crypto::PublicKey key_for(ByteSpan in) {
  return crypto::blake2s256({as_bytes("key"), in});
}

// mac1 and mac2 on a handshake message (initiation or response) `m`, the decoded input:
// - stamping sets mac1 so the checker accepts it (mac1 only, as no cookie is held yet), and
//   touches nothing before mac1;
// - changing any byte before mac1 makes mac1 fail;
// - a cookie reply to the stamped message, consumed by the maker, makes its next stamp pass
//   mac2 from the same source, and from no other source.
template <class M>
void check_macs(const M& m, ByteSpan in) {
  constexpr std::size_t mac1_at = mac1_offset<M>();
  constexpr std::size_t mac2_at = mac2_offset<M>();
  static_assert(mac2_at == mac1_at + 16 && mac2_at + 16 == sizeof(M));

  const crypto::PublicKey server = key_for(in);
  test::DeterministicRng rng(load_le64(key_for(in).data()));
  const Now now{50 * kSecond, 1700000000LL * kSecond};
  const Endpoint source = endpoint_from(in.subspan(8));
  Endpoint other = source;
  other.port = static_cast<std::uint16_t>(other.port + 1);

  CookieChecker checker;
  checker.set_public_key(server);
  CookieMaker maker(server);

  M stamped = m;
  auto bytes = MutableByteSpan(reinterpret_cast<std::uint8_t*>(&stamped), sizeof(M));
  maker.stamp(bytes, mac1_at, mac2_at, now);
  FUZZ_CHECK(std::memcmp(bytes.data(), in.data(), mac1_at) == 0);
  FUZZ_CHECK(checker.check(bytes, mac1_at, mac2_at, source, now, rng) == MacCheck::kMac1Only);

  M flipped = stamped;
  auto fbytes = MutableByteSpan(reinterpret_cast<std::uint8_t*>(&flipped), sizeof(M));
  fbytes[in[4] % mac1_at] ^= static_cast<std::uint8_t>(in[5] | 1);
  FUZZ_CHECK(checker.check(fbytes, mac1_at, mac2_at, source, now, rng) == MacCheck::kBadMac1);

  Bytes16 mac1;
  std::memcpy(mac1.data(), bytes.data() + mac1_at, 16);
  const MessageCookieReply reply =
      checker.make_reply(le32_of(stamped.sender_index), mac1, source, now, rng);
  FUZZ_CHECK(decode_cookie_reply(as_span(reply)).has_value());
  FUZZ_CHECK(le32_of(reply.receiver_index) == le32_of(stamped.sender_index));
  FUZZ_CHECK(maker.consume_reply(reply, now));
  FUZZ_CHECK(!maker.consume_reply(reply, now));  // one reply per message sent

  maker.stamp(bytes, mac1_at, mac2_at, now);
  FUZZ_CHECK(checker.check(bytes, mac1_at, mac2_at, source, now, rng) == MacCheck::kMac1AndMac2);
  FUZZ_CHECK(checker.check(bytes, mac1_at, mac2_at, other, now, rng) == MacCheck::kMac1Only);
}

}  // namespace wgd::fuzz
