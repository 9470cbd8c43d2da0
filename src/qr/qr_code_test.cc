#include "qr/qr_code.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "qr/test_support.h"

namespace wgd::qr {
namespace {

using test::find_program;
using test::run_program;
using test::sample_client_config;

TEST(QrCode, SizeFollowsVersionAndOutsideReadsLight) {
  auto code = encode(sample_client_config());
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_GE(code->version(), 1);
  EXPECT_LE(code->version(), 40);
  EXPECT_EQ(code->size(), 17 + 4 * code->version());
  // Finder pattern corners are dark; the quiet zone around them is light.
  EXPECT_TRUE(code->dark(0, 0));
  EXPECT_TRUE(code->dark(code->size() - 1, 0));
  EXPECT_TRUE(code->dark(0, code->size() - 1));
  EXPECT_FALSE(code->dark(-1, 0));
  EXPECT_FALSE(code->dark(0, -1));
  EXPECT_FALSE(code->dark(code->size(), 0));
  EXPECT_FALSE(code->dark(0, code->size()));
  EXPECT_GT(code->dark_count(), 0);
  EXPECT_LT(code->dark_count(), code->size() * code->size());
}

// The version picked must be the one the qrencode tool picks (it prints it with --verbose).
TEST(QrCode, VersionMatchesQrencodeTool) {
  if (!find_program("qrencode")) GTEST_SKIP() << "qrencode (Debian package qrencode) missing";
  test::TempDir dir;
  const std::string texts[] = {"hello", sample_client_config(), std::string(500, 'x'),
                               std::string(1000, '7')};
  for (const auto& text : texts) {
    test::write_file(dir / "in", text);
    for (const bool eight_bit : {false, true}) {
      std::vector<std::string> argv = {"qrencode", "--verbose", "-r", (dir / "in").string(),
                                       "-o", (dir / "out.png").string()};
      if (eight_bit) argv.push_back("-8");
      const auto tool = run_program(argv);
      ASSERT_EQ(tool.exit_code, 0) << tool.err;
      const auto at = tool.err.find("Version: ");
      ASSERT_NE(at, std::string::npos) << tool.err;
      const int tool_version = std::atoi(tool.err.c_str() + at + 9);
      auto code = encode(text, {.segmentation = eight_bit ? Segmentation::kEightBit
                                                          : Segmentation::kMixed});
      ASSERT_TRUE(code) << code.error().message;
      EXPECT_EQ(code->version(), tool_version) << text.size() << " bytes, 8-bit " << eight_bit;
    }
  }
}

TEST(QrCode, MixedSegmentationPacksDigitsTighter) {
  const std::string digits(1000, '7');
  auto mixed = encode(digits);
  auto eight_bit = encode(digits, {.segmentation = Segmentation::kEightBit});
  ASSERT_TRUE(mixed && eight_bit);
  EXPECT_LT(mixed->version(), eight_bit->version());
}

TEST(QrCode, HigherErrorCorrectionNeedsLargerSymbol) {
  const std::string config = sample_client_config();
  auto low = encode(config, {.level = ErrorCorrection::kLow});
  auto high = encode(config, {.level = ErrorCorrection::kHigh});
  ASSERT_TRUE(low && high);
  EXPECT_GT(high->version(), low->version());
}

// Version 40 at level L holds 2953 bytes in 8-bit mode and 7089 digits in numeric mode.
TEST(QrCode, LargestSymbolAndOneByteMore) {
  const EncodeOptions eight_bit{.segmentation = Segmentation::kEightBit};
  auto fits = encode(std::string(2953, 'k'), eight_bit);
  ASSERT_TRUE(fits) << fits.error().message;
  EXPECT_EQ(fits->version(), 40);
  EXPECT_EQ(fits->size(), 177);

  auto digits = encode(std::string(7089, '1'));
  ASSERT_TRUE(digits) << digits.error().message;
  EXPECT_EQ(digits->version(), 40);
  auto too_many_digits = encode(std::string(7090, '1'));
  ASSERT_FALSE(too_many_digits);
  EXPECT_EQ(too_many_digits.error().code, ERANGE);
}

TEST(QrCode, TooLongIsAnErrorThatDoesNotQuoteTheText) {
  // Something that looks like a private key must never end up in an error message or log.
  const std::string secret = "PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n";
  std::string text;
  while (text.size() < 3000) text += secret;
  for (const auto segmentation : {Segmentation::kMixed, Segmentation::kEightBit}) {
    auto code = encode(text, {.segmentation = segmentation});
    ASSERT_FALSE(code);
    EXPECT_EQ(code.error().code, ERANGE);
    EXPECT_NE(code.error().message.find(std::to_string(text.size())), std::string::npos)
        << code.error().message;
    EXPECT_EQ(code.error().message.find("yAnz5TF"), std::string::npos) << code.error().message;
  }
  // The higher the level, the less fits: 1274 bytes are too many for level H.
  auto high = encode(std::string(1274, 'k'),
                     {.level = ErrorCorrection::kHigh, .segmentation = Segmentation::kEightBit});
  ASSERT_FALSE(high);
  EXPECT_EQ(high.error().code, ERANGE);
  EXPECT_NE(high.error().message.find("level H"), std::string::npos) << high.error().message;
}

TEST(QrCode, EmptyTextIsAnError) {
  auto code = encode("");
  ASSERT_FALSE(code);
  EXPECT_EQ(code.error().code, EINVAL);
}

TEST(QrCode, NulByteNeedsEightBitSegmentation) {
  const std::string text("before\0after", 12);
  auto mixed = encode(text);
  ASSERT_FALSE(mixed);
  EXPECT_NE(mixed.error().message.find("NUL"), std::string::npos);
  auto eight_bit = encode(text, {.segmentation = Segmentation::kEightBit});
  ASSERT_TRUE(eight_bit) << eight_bit.error().message;
}

TEST(QrCode, IsAValueType) {
  auto code = encode("copy me");
  ASSERT_TRUE(code);
  const QrCode copy = *code;
  const QrCode moved = std::move(*code);
  ASSERT_EQ(copy.size(), moved.size());
  for (int y = 0; y < copy.size(); ++y) {
    for (int x = 0; x < copy.size(); ++x) ASSERT_EQ(copy.dark(x, y), moved.dark(x, y));
  }
}

}  // namespace
}  // namespace wgd::qr
