#include "wg/messages.h"

#include <gtest/gtest.h>

namespace wgd::wg {
namespace {

TEST(Messages, SizesAndMacOffsetsMatchTheProtocol) {
  EXPECT_EQ(sizeof(MessageInitiation), 148u);
  EXPECT_EQ(sizeof(MessageResponse), 92u);
  EXPECT_EQ(sizeof(MessageCookieReply), 64u);
  EXPECT_EQ(mac1_offset<MessageInitiation>(), 116u);
  EXPECT_EQ(mac2_offset<MessageInitiation>(), 132u);
  EXPECT_EQ(mac1_offset<MessageResponse>(), 60u);
  EXPECT_EQ(mac2_offset<MessageResponse>(), 76u);
  EXPECT_EQ(offsetof(MessageInitiation, ephemeral), 8u);
  EXPECT_EQ(offsetof(MessageInitiation, encrypted_static), 40u);
  EXPECT_EQ(offsetof(MessageInitiation, encrypted_timestamp), 88u);
  EXPECT_EQ(offsetof(MessageResponse, ephemeral), 12u);
  EXPECT_EQ(offsetof(MessageResponse, encrypted_nothing), 44u);
  EXPECT_EQ(offsetof(MessageCookieReply, nonce), 8u);
  EXPECT_EQ(offsetof(MessageCookieReply, encrypted_cookie), 32u);
}

TEST(Messages, DecodeRequiresExactSizeTypeAndZeroReservedBytes) {
  Bytes init(148, 0);
  init[0] = 1;
  EXPECT_TRUE(decode_initiation(init));
  EXPECT_FALSE(decode_initiation(ByteSpan(init).first(147)));
  Bytes longer = init;
  longer.push_back(0);
  EXPECT_FALSE(decode_initiation(longer));
  init[2] = 1;  // a reserved byte set: not type 1 any more
  EXPECT_FALSE(decode_initiation(init));
  init[2] = 0;
  init[0] = 2;
  EXPECT_FALSE(decode_initiation(init));

  Bytes resp(92, 0);
  resp[0] = 2;
  EXPECT_TRUE(decode_response(resp));
  EXPECT_FALSE(decode_response(ByteSpan(resp).first(91)));
  Bytes cookie(64, 0);
  cookie[0] = 3;
  EXPECT_TRUE(decode_cookie_reply(cookie));
  EXPECT_FALSE(decode_cookie_reply(ByteSpan(cookie).first(63)));
}

TEST(Messages, TransportHeaderRoundTrip) {
  Bytes d(48, 0);
  encode_transport_header(d.data(), 0xdeadbeef, 0x0102030405060708ULL);
  EXPECT_EQ(d[0], 4);
  EXPECT_EQ(d[4], 0xef);  // little-endian receiver index
  EXPECT_EQ(d[8], 0x08);  // little-endian counter
  auto v = decode_transport(d);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->receiver_index, 0xdeadbeefu);
  EXPECT_EQ(v->counter, 0x0102030405060708ULL);
  EXPECT_EQ(v->ciphertext.size(), 32u);
  EXPECT_FALSE(decode_transport(ByteSpan(d).first(31)));  // shorter than header + tag
  EXPECT_TRUE(decode_transport(ByteSpan(d).first(32)));   // a keepalive
}

TEST(Messages, PaddingToSixteenButNotPastTheMtu) {
  EXPECT_EQ(padded_length(0, 1420), 0u);
  EXPECT_EQ(padded_length(1, 1420), 16u);
  EXPECT_EQ(padded_length(16, 1420), 16u);
  EXPECT_EQ(padded_length(17, 1420), 32u);
  EXPECT_EQ(padded_length(1419, 1420), 1420u);
  EXPECT_EQ(padded_length(1418, 1420), 1420u);  // 1424 would pass the MTU
  EXPECT_EQ(padded_length(1413, 1420), 1420u);
  EXPECT_EQ(padded_length(1400, 1420), 1408u);
  EXPECT_EQ(transport_size(1408), 1440u);
}

}  // namespace
}  // namespace wgd::wg
