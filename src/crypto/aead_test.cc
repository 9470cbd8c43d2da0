// RFC 8439 and draft-irtf-cfrg-xchacha known answers, for both ChaCha20-Poly1305 backends.
#include "crypto/aead.h"

#include <gtest/gtest.h>

#include "crypto/test_hex.h"

namespace wgd::crypto {
namespace {

using test::hex;
using test::unhex;

const std::string kSunscreen =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    "sunscreen would be it.";
const auto kKey = test::unhex_array<32>(
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
const Bytes kAad = unhex("50515253c0c1c2c3c4c5c6c7");

// RFC 8439 section 2.8.2.
const char* kRfc8439Ciphertext =
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
    "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116";
const char* kRfc8439Tag = "1ae10b594f09e26a7e902ecbd0600691";

struct Backend {
  const char* name;
  void (*seal)(MutableByteSpan, KeyBytes, const AeadNonce&, ByteSpan, ByteSpan);
  bool (*open)(MutableByteSpan, KeyBytes, const AeadNonce&, ByteSpan, ByteSpan);
};

class ChaChaPoly : public ::testing::TestWithParam<Backend> {};

TEST_P(ChaChaPoly, Rfc8439Section2_8_2) {
  const AeadNonce nonce = test::unhex_array<12>("070000004041424344454647");
  Bytes out(kSunscreen.size() + kAeadTagSize);
  GetParam().seal(out, kKey, nonce, as_bytes(kSunscreen), kAad);
  EXPECT_EQ(hex(ByteSpan(out).first(kSunscreen.size())), kRfc8439Ciphertext);
  EXPECT_EQ(hex(ByteSpan(out).last(kAeadTagSize)), kRfc8439Tag);

  Bytes back(kSunscreen.size());
  ASSERT_TRUE(GetParam().open(back, kKey, nonce, out, kAad));
  EXPECT_EQ(std::string(back.begin(), back.end()), kSunscreen);
}

TEST_P(ChaChaPoly, InPlaceRoundTripAndTamperDetection) {
  const AeadNonce nonce = counter_nonce(0x0102030405060708ULL);
  Bytes buf(1420 + kAeadTagSize);
  for (std::size_t i = 0; i < 1420; ++i) buf[i] = static_cast<std::uint8_t>(i * 7);
  const Bytes plain(buf.begin(), buf.begin() + 1420);
  GetParam().seal(buf, kKey, nonce, ByteSpan(buf).first(1420), {});
  EXPECT_NE(Bytes(buf.begin(), buf.begin() + 1420), plain);

  Bytes copy = buf;
  ASSERT_TRUE(GetParam().open(MutableByteSpan(copy).first(1420), kKey, nonce, copy, {}));
  EXPECT_EQ(Bytes(copy.begin(), copy.begin() + 1420), plain);

  for (std::size_t flip : {std::size_t{0}, std::size_t{700}, buf.size() - 1}) {
    Bytes bad = buf;
    bad[flip] ^= 1;
    Bytes out(1420);
    EXPECT_FALSE(GetParam().open(out, kKey, nonce, bad, {})) << "flipped byte " << flip;
  }
  Bytes out(1420);
  EXPECT_FALSE(GetParam().open(out, kKey, counter_nonce(1), buf, {})) << "wrong nonce";
  EXPECT_FALSE(GetParam().open(out, kKey, nonce, ByteSpan(buf).first(15), {})) << "truncated";
}

TEST_P(ChaChaPoly, EmptyPlaintextIsJustATag) {
  Bytes tag(kAeadTagSize);
  GetParam().seal(tag, kKey, counter_nonce(0), {}, kAad);
  Bytes none;
  EXPECT_TRUE(GetParam().open(none, kKey, counter_nonce(0), tag, kAad));
  EXPECT_FALSE(GetParam().open(none, kKey, counter_nonce(0), tag, {}));
}

// The two libraries must agree byte for byte, so either can serve the data path.
TEST(ChaChaPolyBackends, AgreeOnRandomInputs) {
  Bytes msg(1500), a(1500 + kAeadTagSize), b(1500 + kAeadTagSize);
  for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 64u, 1420u, 1500u}) {
    for (std::size_t i = 0; i < len; ++i) msg[i] = static_cast<std::uint8_t>(len + i);
    openssl::chacha20poly1305_seal(MutableByteSpan(a).first(len + 16), kKey, counter_nonce(len),
                                   ByteSpan(msg).first(len), {});
    sodium::chacha20poly1305_seal(MutableByteSpan(b).first(len + 16), kKey, counter_nonce(len),
                                  ByteSpan(msg).first(len), {});
    EXPECT_EQ(hex(ByteSpan(a).first(len + 16)), hex(ByteSpan(b).first(len + 16))) << len;
  }
}

// The data path hands small packets to libsodium and large ones to OpenSSL (aead.cc): at every
// length around the switch, in place as the data path works, what it seals is what OpenSSL
// seals, and it opens what either library sealed, and refuses it with one bit changed.
TEST(ChaChaPolyDataPath, SameBytesOnBothSidesOfTheSizeSwitch) {
  for (std::size_t len = 0; len <= 1200; ++len) {
    Bytes msg(len), ref(len + kAeadTagSize), other(len + kAeadTagSize), buf(len + kAeadTagSize);
    for (std::size_t i = 0; i < len; ++i) msg[i] = static_cast<std::uint8_t>(len * 3 + i);
    const AeadNonce nonce = counter_nonce(len);
    openssl::chacha20poly1305_seal(ref, kKey, nonce, msg, {});
    sodium::chacha20poly1305_seal(other, kKey, nonce, msg, {});
    std::copy(msg.begin(), msg.end(), buf.begin());
    chacha20poly1305_seal(buf, kKey, nonce, ByteSpan(buf).first(len), {});
    ASSERT_EQ(hex(buf), hex(ref)) << len;
    ASSERT_EQ(hex(other), hex(ref)) << len;
    ASSERT_TRUE(chacha20poly1305_open(MutableByteSpan(buf).first(len), kKey, nonce, buf, {})) << len;
    ASSERT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len)), msg) << len;
    other[len / 2] ^= 0x80;
    Bytes out(len);
    ASSERT_FALSE(chacha20poly1305_open(out, kKey, nonce, other, {})) << len;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ChaChaPoly,
    ::testing::Values(Backend{"openssl", openssl::chacha20poly1305_seal,
                              openssl::chacha20poly1305_open},
                      Backend{"sodium", sodium::chacha20poly1305_seal,
                              sodium::chacha20poly1305_open},
                      Backend{"default", chacha20poly1305_seal, chacha20poly1305_open}),
    [](const auto& info) { return std::string(info.param.name); });

// draft-irtf-cfrg-xchacha-03 appendix A.3.1.
TEST(XChaChaPoly, DraftAppendixA3_1) {
  const XAeadNonce nonce =
      test::unhex_array<24>("404142434445464748494a4b4c4d4e4f5051525354555657");
  Bytes out(kSunscreen.size() + kAeadTagSize);
  xchacha20poly1305_seal(out, kKey, nonce, as_bytes(kSunscreen), kAad);
  EXPECT_EQ(hex(ByteSpan(out).first(kSunscreen.size())),
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
            "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
            "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
            "21f9664c97637da9768812f615c68b13b52e");
  EXPECT_EQ(hex(ByteSpan(out).last(kAeadTagSize)), "c0875924c1c7987947deafd8780acf49");

  Bytes back(kSunscreen.size());
  ASSERT_TRUE(xchacha20poly1305_open(back, kKey, nonce, out, kAad));
  EXPECT_EQ(std::string(back.begin(), back.end()), kSunscreen);
  out[3] ^= 0x80;
  EXPECT_FALSE(xchacha20poly1305_open(back, kKey, nonce, out, kAad));
}

TEST(Aead, CounterNonceLayout) {
  EXPECT_EQ(hex(counter_nonce(0x0807060504030201ULL)), "000000000102030405060708");
}

}  // namespace
}  // namespace wgd::crypto
