#include "qr/png_render.h"

#include <png.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "qr/test_support.h"
#include "util/bytes.h"

namespace wgd::qr {
namespace {

using test::find_program;
using test::run_program;
using test::sample_client_config;

struct GreyImage {
  int side = 0;
  std::vector<std::uint8_t> pixels;  // 0 black .. 255 white
  bool dark(int x, int y) const { return pixels[static_cast<std::size_t>(y) * side + x] < 128; }
};

// Decodes with libpng's reading side, independently of how the image was written.
GreyImage decode_png(std::string_view bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  EXPECT_TRUE(png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
      << image.message;
  EXPECT_EQ(image.width, image.height);
  image.format = PNG_FORMAT_GRAY;
  GreyImage grey;
  grey.side = static_cast<int>(image.width);
  grey.pixels.resize(PNG_IMAGE_SIZE(image));
  EXPECT_TRUE(png_image_finish_read(&image, nullptr, grey.pixels.data(), 0, nullptr))
      << image.message;
  png_image_free(&image);
  return grey;
}

// Runs zbarimg on an image and returns the bytes it decoded. --raw skips zbar's charset
// conversion and -Sbinary its guessing (without it an 8-bit "café" comes back as Shift-JIS
// mojibake); with -Sbinary zbarimg also adds no trailing newline, so no trimming is needed.
std::string zbar_decode(const std::filesystem::path& image) {
  const auto result =
      run_program({"zbarimg", "--nodbus", "--raw", "-q", "-Sbinary", image.string()});
  EXPECT_EQ(result.exit_code, 0) << "zbarimg found no code: " << result.err;
  return result.out;
}

mode_t file_mode(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(PngRender, IsOneBitGreyAndEveryPixelMatchesTheMatrix) {
  auto code = encode(sample_client_config());
  ASSERT_TRUE(code);
  auto png = to_png(*code);
  ASSERT_TRUE(png) << png.error().message;

  // Signature, then IHDR: width, height, bit depth, colour type.
  ASSERT_GT(png->size(), 33u);
  EXPECT_EQ(png->substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(png->substr(12, 4), "IHDR");
  const auto* ihdr = reinterpret_cast<const std::uint8_t*>(png->data()) + 16;
  const std::uint32_t side = static_cast<std::uint32_t>((code->size() + 2 * 4) * 3);
  EXPECT_EQ(load_be32(ihdr), side);
  EXPECT_EQ(load_be32(ihdr + 4), side);
  EXPECT_EQ(ihdr[8], 1);  // bit depth
  EXPECT_EQ(ihdr[9], 0);  // greyscale

  const GreyImage image = decode_png(*png);
  ASSERT_EQ(image.side, static_cast<int>(side));
  for (int y = 0; y < image.side; ++y) {
    for (int x = 0; x < image.side; ++x) {
      ASSERT_EQ(image.dark(x, y), code->dark(x / 3 - 4, y / 3 - 4)) << x << "," << y;
    }
  }
}

// `qrencode -o peer.png` (what linuxserver/wireguard writes) gives the same picture.
TEST(PngRender, SamePixelsAsQrencodeTool) {
  if (!find_program("qrencode")) GTEST_SKIP() << "qrencode (Debian package qrencode) missing";
  test::TempDir dir;
  const std::string config = sample_client_config();
  test::write_file(dir / "peer.conf", config);
  const auto tool = run_program(
      {"qrencode", "-r", (dir / "peer.conf").string(), "-o", (dir / "tool.png").string()});
  ASSERT_EQ(tool.exit_code, 0) << tool.err;

  auto code = encode(config);
  ASSERT_TRUE(code);
  auto ours = to_png(*code);
  ASSERT_TRUE(ours);
  const GreyImage a = decode_png(*ours);
  const GreyImage b = decode_png(test::read_file(dir / "tool.png"));
  ASSERT_EQ(a.side, b.side);
  EXPECT_EQ(a.pixels, b.pixels);
}

TEST(PngRender, ZbarDecodesTheClientConfigExactly) {
  if (!find_program("zbarimg")) GTEST_SKIP() << "zbarimg (Debian package zbar-tools) missing";
  test::TempDir dir;
  const std::string config = sample_client_config();
  auto code = encode(config);
  ASSERT_TRUE(code);
  ASSERT_TRUE(write_png_file(dir / "peer_phone.png", *code));
  EXPECT_EQ(zbar_decode(dir / "peer_phone.png"), config);
}

TEST(PngRender, ZbarDecodesArbitraryBytesInEightBitMode) {
  if (!find_program("zbarimg")) GTEST_SKIP() << "zbarimg (Debian package zbar-tools) missing";
  test::TempDir dir;
  const std::string texts[] = {
      "# caf\xc3\xa9 \xe2\x80\x94 Stra\xc3\x9f" "e\n[Interface]\n",  // UTF-8 comment
      std::string("\x00\x01\xfe\xff binary \x80\x7f", 14),
  };
  for (const auto& text : texts) {
    auto code = encode(text, {.segmentation = Segmentation::kEightBit});
    ASSERT_TRUE(code) << code.error().message;
    auto png = to_png(*code, 4, 4);
    ASSERT_TRUE(png);
    test::write_file(dir / "bytes.png", *png);
    EXPECT_EQ(zbar_decode(dir / "bytes.png"), text);
  }
}

TEST(PngRender, ScaleAndMarginAreHonoured) {
  auto code = encode("scale");
  ASSERT_TRUE(code);
  auto tight = to_png(*code, 1, 0);
  ASSERT_TRUE(tight);
  const GreyImage image = decode_png(*tight);
  ASSERT_EQ(image.side, code->size());
  for (int y = 0; y < image.side; ++y) {
    for (int x = 0; x < image.side; ++x) ASSERT_EQ(image.dark(x, y), code->dark(x, y));
  }
  auto big = to_png(*code, 7, 2);
  ASSERT_TRUE(big);
  EXPECT_EQ(decode_png(*big).side, (code->size() + 4) * 7);
}

TEST(PngRender, RejectsBadGeometry) {
  auto code = encode("geometry");
  ASSERT_TRUE(code);
  EXPECT_FALSE(to_png(*code, 0, 4));
  EXPECT_FALSE(to_png(*code, 3, -1));
  auto huge = to_png(*code, 10000, 4);
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("limit"), std::string::npos) << huge.error().message;
  // The largest allowed image is made.
  auto version40 = encode(std::string(2953, 'k'), {.segmentation = Segmentation::kEightBit});
  ASSERT_TRUE(version40);
  const int scale = kMaxPngSide / (177 + 8);
  auto largest = to_png(*version40, scale);
  ASSERT_TRUE(largest) << largest.error().message;
  ASSERT_GT(largest->size(), 24u);
  EXPECT_EQ(load_be32(reinterpret_cast<const std::uint8_t*>(largest->data()) + 16),
            static_cast<std::uint32_t>(185 * scale));
}

// Client config images hold private keys: 0600 whatever the umask, and no leftovers.
TEST(PngRender, WritePngFileIsPrivateAndLeavesNoTemporaryFile) {
  test::TempDir dir;
  auto code = encode(sample_client_config());
  ASSERT_TRUE(code);
  const auto path = dir / "peer_laptop.png";

  const mode_t old_umask = ::umask(0);
  auto written = write_png_file(path, *code);
  ::umask(old_umask);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(file_mode(path), 0600u);
  EXPECT_EQ(test::read_file(path), *to_png(*code));

  // Replacing a world-readable file makes it private too (the mode is not inherited).
  test::write_file(dir / "old.png", "old");
  ASSERT_EQ(::chmod((dir / "old.png").c_str(), 0644), 0);
  ASSERT_TRUE(write_png_file(dir / "old.png", *code));
  EXPECT_EQ(file_mode(dir / "old.png"), 0600u);
  EXPECT_EQ(test::read_file(dir / "old.png"), *to_png(*code));

  // A caller may ask for another mode explicitly.
  ASSERT_TRUE(write_png_file(dir / "public.png", *code, 0644));
  EXPECT_EQ(file_mode(dir / "public.png"), 0644u);

  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"old.png", "peer_laptop.png", "public.png"}));
}

TEST(PngRender, WritePngFileIntoMissingDirectoryFails) {
  test::TempDir dir;
  auto code = encode("x");
  ASSERT_TRUE(code);
  auto written = write_png_file(dir / "no-such-dir" / "peer.png", *code);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("no-such-dir"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace wgd::qr
