// RFC 7693, BLAKE2 reference KAT and wireguard-go KDF known answers.
#include "crypto/blake2s.h"

#include <gtest/gtest.h>

#include "crypto/compare.h"
#include "crypto/test_hex.h"

namespace wgd::crypto {
namespace {

using test::hex;
using test::unhex;

// RFC 7693 appendix B.
TEST(Blake2s, Rfc7693AppendixB) {
  EXPECT_EQ(hex(blake2s256({as_bytes("abc")})),
            "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

TEST(Blake2s, EmptyInputAndSplitInputs) {
  EXPECT_EQ(hex(blake2s256({})),
            "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
  EXPECT_EQ(hex(blake2s256({as_bytes("a"), as_bytes(""), as_bytes("bc")})),
            hex(blake2s256({as_bytes("abc")})));
}

// blake2s-kat.txt (keyed) from the BLAKE2 reference: key 00..1f, inputs 00..(n-1).
TEST(Blake2s, KeyedReferenceKat) {
  Bytes key(32), in(255);
  for (int i = 0; i < 32; ++i) key[i] = static_cast<std::uint8_t>(i);
  for (int i = 0; i < 255; ++i) in[i] = static_cast<std::uint8_t>(i);
  Bytes out(32);
  blake2s_keyed(out, key, {ByteSpan(in).first(0)});
  EXPECT_EQ(hex(out), "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49");
  blake2s_keyed(out, key, {ByteSpan(in).first(1)});
  EXPECT_EQ(hex(out), "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1");
  blake2s_keyed(out, key, {ByteSpan(in).first(2)});
  EXPECT_EQ(hex(out), "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803");
}

TEST(Blake2s, MacIs16BytesAndKeyed) {
  Bytes k1(32, 1), k2(32, 2);
  Mac a = blake2s_mac(k1, {as_bytes("message")});
  Mac b = blake2s_mac(k2, {as_bytes("message")});
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(hex(a), hex(b));
  Bytes out(16);
  blake2s_keyed(out, k1, {as_bytes("mess"), as_bytes("age")});
  EXPECT_EQ(hex(out), hex(a));
}

struct KdfVector {
  const char *key, *input, *t0, *t1, *t2;
};

// wireguard-go device/kdf_test.go. Its KDF3 returns what we call t1..t3 (it numbers from 0).
TEST(Kdf, WireguardGoVectors) {
  const KdfVector vectors[] = {
      {"746573742d6b6579", "746573742d696e707574",
       "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
       "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
       "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24"},
      {"776972656775617264", "776972656775617264",
       "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
       "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
       "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160"},
      {"", "", "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
       "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
       "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e"},
  };
  for (const auto& v : vectors) {
    Secret<32> a, b, c;
    Secret<32>* three[] = {&a, &b, &c};
    kdf(three, unhex(v.key), unhex(v.input));
    EXPECT_EQ(hex(a.span()), v.t0);
    EXPECT_EQ(hex(b.span()), v.t1);
    EXPECT_EQ(hex(c.span()), v.t2);
    Secret<32> d, e;
    Secret<32>* two[] = {&d, &e};
    kdf(two, unhex(v.key), unhex(v.input));
    EXPECT_EQ(hex(d.span()), v.t0);
    EXPECT_EQ(hex(e.span()), v.t1);
    EXPECT_EQ(hex(kdf1(unhex(v.key), unhex(v.input)).span()), v.t0);
  }
}

TEST(Compare, ConstantTimeEquality) {
  Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
  EXPECT_TRUE(equal_ct(a, b));
  EXPECT_FALSE(equal_ct(a, c));
  EXPECT_FALSE(equal_ct(a, d));
}

}  // namespace
}  // namespace wgd::crypto
