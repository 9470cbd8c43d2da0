// The server's key and IPv6 subnet: made once, kept in the store, shared by every gateway on
// it, and WGD_PRIVATE_KEY taking over a different stored key.
#include "serve/server_identity.h"

#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "serve/serve_test_support.h"

namespace wgd::serve {
namespace {

class ServerIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::open_test_store(dir_); }
  testing::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(ServerIdentityTest, GeneratedOnceThenStored) {
  ServerSettings s;
  auto first = load_server_identity(*store_, s);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->key_origin, "generated");
  EXPECT_EQ(first->ipv6_origin, "generated");
  EXPECT_EQ(first->public_key, crypto::x25519_public(first->private_key));
  ASSERT_TRUE(first->ipv6_address);
  EXPECT_EQ(first->ipv6_address->length, 64);
  EXPECT_EQ(first->ipv6_address->address.bytes()[0], 0xfd);
  EXPECT_EQ(first->ipv6_address->address.bytes()[15], 1);

  // A restart, and a second gateway on the same store: the same key and subnet.
  auto other = testing::open_test_store(dir_);
  auto second = load_server_identity(*other, s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->key_origin, "stored");
  EXPECT_EQ(second->ipv6_origin, "stored");
  EXPECT_EQ(second->public_key, first->public_key);
  EXPECT_EQ(*second->ipv6_address, *first->ipv6_address);
}

TEST_F(ServerIdentityTest, EnvironmentKeyIsStoredAndReplacesADifferentOne) {
  ServerSettings s;
  auto generated = load_server_identity(*store_, s);
  ASSERT_TRUE(generated);
  const crypto::PrivateKey given = crypto::x25519_generate();
  s.private_key_text = crypto::key_to_base64(given.span());
  auto id = load_server_identity(*store_, s);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->key_origin, "WGD_PRIVATE_KEY");
  EXPECT_EQ(id->public_key, crypto::x25519_public(given));
  // Now stored: without the variable the server keeps that key.
  s.private_key_text.reset();
  id = load_server_identity(*store_, s);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->key_origin, "stored");
  EXPECT_EQ(id->public_key, crypto::x25519_public(given));
}

TEST_F(ServerIdentityTest, ConfiguredOrDisabledIpv6) {
  ServerSettings s;
  s.ipv6_address = IpPrefix::parse("fd00:42::1/64");
  auto id = load_server_identity(*store_, s);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->ipv6_origin, "configured");
  EXPECT_EQ(id->ipv6_address->to_string(), "fd00:42::1/64");
  EXPECT_FALSE(store_->get_setting(kIpv6AddressSetting)->has_value());
  s.ipv6_address.reset();
  s.ipv6_enabled = false;
  id = load_server_identity(*store_, s);
  ASSERT_TRUE(id);
  EXPECT_FALSE(id->ipv6_address);
  EXPECT_EQ(id->ipv6_origin, "disabled");
}

TEST_F(ServerIdentityTest, RandomUlaPrefixesDiffer) {
  const auto a = random_ula_prefix(), b = random_ula_prefix();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.to_string().substr(0, 2), "fd");
}

TEST_F(ServerIdentityTest, BrokenStoredKeyIsAClearError) {
  ASSERT_TRUE(store_->set_setting(kPrivateKeySetting, "garbage"));
  auto id = load_server_identity(*store_, ServerSettings{});
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find(std::string(kPrivateKeySetting)), std::string::npos);
}

}  // namespace
}  // namespace wgd::serve
