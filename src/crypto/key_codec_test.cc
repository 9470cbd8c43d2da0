#include "crypto/key_codec.h"

#include <gtest/gtest.h>

#include "crypto/test_hex.h"

namespace wgd::crypto {
namespace {

TEST(KeyCodec, Base64RoundTrip) {
  // A key from seed 002's example configuration.
  const std::string text = "xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCg=";
  auto key = key_from_base64(text);
  ASSERT_TRUE(key);
  EXPECT_EQ(key_to_base64(*key), text);
  EXPECT_EQ(key_to_hex(*key), test::hex(*key));
  EXPECT_EQ(key_from_hex(key_to_hex(*key)), key);
}

TEST(KeyCodec, RejectsMalformedBase64) {
  EXPECT_FALSE(key_from_base64(""));
  EXPECT_FALSE(key_from_base64("xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCg"));     // no padding
  EXPECT_FALSE(key_from_base64("xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCg=="));   // too long
  EXPECT_FALSE(key_from_base64("xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCh="));    // trailing bits
  EXPECT_FALSE(key_from_base64("xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlp!g="));    // bad char
  EXPECT_FALSE(key_from_base64(" FXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCg="));    // space
}

TEST(KeyCodec, RejectsMalformedHex) {
  EXPECT_FALSE(key_from_hex(std::string(63, 'a')));
  EXPECT_FALSE(key_from_hex(std::string(65, 'a')));
  EXPECT_FALSE(key_from_hex(std::string(63, 'a') + "g"));
  EXPECT_TRUE(key_from_hex(std::string(64, 'A')));
}

}  // namespace
}  // namespace wgd::crypto
