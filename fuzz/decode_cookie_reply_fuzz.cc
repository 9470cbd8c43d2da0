// decode_cookie_reply on arbitrary datagrams, and CookieMaker::consume_reply on what it decodes:
// - exactly 64-byte type-3 messages decode, byte for byte;
// - no input authenticates as a cookie reply to a message the input cannot have seen;
// - a genuine reply authenticates, and changing any byte of its nonce or encrypted cookie
//   breaks it, while the type and receiver index (routing only, read by the device) do not.
#include "message_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wgd::fuzz;
  const wgd::ByteSpan in(data, size);
  check_at_most_one_kind(in);
  const auto reply = decode_cookie_reply(in);
  check_fixed_decoder(in, kMessageCookieReply, reply);
  if (!reply) return 0;

  const wgd::crypto::PublicKey server = key_for(in);
  wgd::wg::test::DeterministicRng rng(wgd::load_le64(server.data()));
  const Now now{50 * kSecond, 1700000000LL * kSecond};
  const wgd::Endpoint source = endpoint_from(in.subspan(8));

  // The message the maker last sent depends on the input (its mac1 is the reply's AEAD data),
  // so the input cannot carry a reply made for it.
  MessageInitiation sent{};
  sent.type = le32_bytes(kMessageInitiation);
  std::memcpy(sent.ephemeral.data(), server.data(), server.size());
  auto sent_bytes = wgd::MutableByteSpan(reinterpret_cast<std::uint8_t*>(&sent), sizeof sent);
  CookieMaker maker(server);
  FUZZ_CHECK(!maker.consume_reply(*reply, now));  // nothing sent yet: nothing to answer
  maker.stamp(sent_bytes, mac1_offset<MessageInitiation>(), mac2_offset<MessageInitiation>(), now);
  FUZZ_CHECK(!maker.consume_reply(*reply, now));

  // A genuine reply, then the same with one byte changed where the input says.
  CookieChecker checker;
  checker.set_public_key(server);
  MessageCookieReply genuine =
      checker.make_reply(le32_of(reply->receiver_index), sent.mac1, source, now, rng);
  const std::size_t at = in[8] % sizeof genuine;
  reinterpret_cast<std::uint8_t*>(&genuine)[at] ^= static_cast<std::uint8_t>(in[9] | 1);
  const bool authenticated_part = at >= offsetof(MessageCookieReply, nonce);
  FUZZ_CHECK(maker.consume_reply(genuine, now) == !authenticated_part);
  return 0;
}
