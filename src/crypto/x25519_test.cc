// RFC 7748 known answers for X25519.
#include "crypto/x25519.h"

#include <gtest/gtest.h>

#include "crypto/test_hex.h"

namespace wgd::crypto {
namespace {

using test::hex;
using test::unhex_array;

PrivateKey priv(std::string_view h) {
  const auto bytes = unhex_array<32>(h);
  return PrivateKey(std::span<const std::uint8_t, 32>(bytes));
}

// RFC 7748 section 5.2, the two single-call vectors.
TEST(X25519, Rfc7748Section5_2) {
  auto out = x25519(priv("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                    unhex_array<32>("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  ASSERT_TRUE(out);
  EXPECT_EQ(hex(out->span()), "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");

  out = x25519(priv("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
               unhex_array<32>("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"));
  ASSERT_TRUE(out);
  EXPECT_EQ(hex(out->span()), "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

// RFC 7748 section 5.2, the iterated vector (1 and 1,000 iterations).
TEST(X25519, Rfc7748Iterated) {
  PublicKey k{}, u{};
  k[0] = 9;
  u[0] = 9;
  for (int i = 1; i <= 1000; ++i) {
    auto r = x25519(PrivateKey(std::span<const std::uint8_t, 32>(k)), u);
    ASSERT_TRUE(r);
    u = k;
    std::copy(r->data(), r->data() + 32, k.begin());
    if (i == 1) {
      EXPECT_EQ(hex(k), "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
    }
  }
  EXPECT_EQ(hex(k), "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

// RFC 7748 section 6.1: Alice and Bob.
TEST(X25519, Rfc7748Section6_1) {
  PrivateKey a = priv("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  PrivateKey b = priv("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  EXPECT_EQ(hex(x25519_public(a)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(hex(x25519_public(b)), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto k1 = x25519(a, x25519_public(b));
  auto k2 = x25519(b, x25519_public(a));
  ASSERT_TRUE(k1 && k2);
  EXPECT_EQ(hex(k1->span()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(hex(k2->span()), hex(k1->span()));
}

TEST(X25519, SmallOrderPointIsRejected) {
  PublicKey zero{};  // the identity: every scalar maps it to zero
  EXPECT_FALSE(x25519(x25519_generate(), zero));
}

// x25519_public takes libdecaf's fixed-base path, x25519 libsodium's ladder: the public key
// must be the DH with the base point u = 9, for any 32 bytes (both clamp as RFC 7748 says, so
// unclamped inputs, as a hand-written key file may hold, must agree too).
TEST(X25519, PublicKeyIsTheDhWithTheBasePoint) {
  PublicKey base{};
  base[0] = 9;
  for (int i = 0; i < 1000; ++i) {
    PrivateKey k = x25519_generate();
    if (i % 2) k.data()[i % 32] ^= static_cast<std::uint8_t>(i * 37 + 1);  // unclamp some
    if (i % 3 == 0) k.data()[31] |= 128;
    const auto dh = x25519(k, base);
    ASSERT_TRUE(dh);
    ASSERT_EQ(hex(x25519_public(k)), hex(dh->span())) << "key " << i;
  }
}

TEST(X25519, GeneratedKeysAreClampedAndDistinct) {
  PrivateKey a = x25519_generate(), b = x25519_generate();
  EXPECT_EQ(a.data()[0] & 7, 0);
  EXPECT_EQ(a.data()[31] & 128, 0);
  EXPECT_EQ(a.data()[31] & 64, 64);
  EXPECT_NE(hex(a.span()), hex(b.span()));
}

}  // namespace
}  // namespace wgd::crypto
