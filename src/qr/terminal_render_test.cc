#include "qr/terminal_render.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qr/test_support.h"

namespace wgd::qr {
namespace {

using test::find_program;
using test::run_program;
using test::sample_client_config;

struct Case {
  std::string name;
  std::string text;
  EncodeOptions options;
  int margin = kDefaultMargin;
  std::vector<std::string> flags;  // the same choices for the qrencode tool
};

std::vector<Case> cases() {
  return {
      {"hello", "hello", {}, kDefaultMargin, {}},
      {"client config", sample_client_config(), {}, kDefaultMargin, {}},
      {"client config 8-bit", sample_client_config(),
       {.segmentation = Segmentation::kEightBit}, kDefaultMargin, {"-8"}},
      {"upper case and digits", "WG 10.13.13.0/24 PORT 51820", {}, kDefaultMargin, {}},
      {"utf-8 level H", "# caf\xc3\xa9 peer\n", {.level = ErrorCorrection::kHigh},
       kDefaultMargin, {"-l", "H"}},
      {"level M margin 1", sample_client_config(), {.level = ErrorCorrection::kMedium}, 1,
       {"-l", "M", "-m", "1"}},
      {"level Q margin 3", "Endpoint = 203.0.113.7:51820", {.level = ErrorCorrection::kQuartile},
       3, {"-l", "Q", "-m", "3"}},
      {"margin 0", "no quiet zone", {}, 0, {"-m", "0"}},
  };
}

std::string qrencode_text(const test::TempDir& dir, const Case& c, const std::string& type) {
  test::write_file(dir / "in", c.text);
  std::vector<std::string> argv = {"qrencode", "-t", type, "-r", (dir / "in").string(), "-o",
                                   "-"};
  argv.insert(argv.end(), c.flags.begin(), c.flags.end());
  const auto result = run_program(argv);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

TEST(TerminalRender, AnsiUtf8IsByteForByteQrencode) {
  if (!find_program("qrencode")) GTEST_SKIP() << "qrencode (Debian package qrencode) missing";
  test::TempDir dir;
  for (const auto& c : cases()) {
    auto code = encode(c.text, c.options);
    ASSERT_TRUE(code) << c.name << ": " << code.error().message;
    const std::string expected = qrencode_text(dir, c, "ansiutf8");
    ASSERT_FALSE(expected.empty()) << c.name;
    EXPECT_EQ(to_ansi_utf8(*code, c.margin), expected) << c.name;
  }
}

TEST(TerminalRender, Utf8IsByteForByteQrencode) {
  if (!find_program("qrencode")) GTEST_SKIP() << "qrencode (Debian package qrencode) missing";
  test::TempDir dir;
  for (const auto& c : cases()) {
    auto code = encode(c.text, c.options);
    ASSERT_TRUE(code) << c.name << ": " << code.error().message;
    const std::string expected = qrencode_text(dir, c, "utf8");
    ASSERT_FALSE(expected.empty()) << c.name;
    EXPECT_EQ(to_utf8(*code, c.margin), expected) << c.name;
  }
}

// Independent of the tool: the half blocks decode back to the module matrix.
TEST(TerminalRender, HalfBlocksDecodeToTheMatrix) {
  auto code = encode(sample_client_config());
  ASSERT_TRUE(code);
  const int margin = kDefaultMargin;
  const std::string text = to_utf8(*code, margin);
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "last line lacks a newline";
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(margin / 2 * 2 + (code->size() + 1) / 2));
  for (std::size_t row = 0; row < lines.size(); ++row) {
    // Character by character: ' ' is one byte, the three blocks three bytes each.
    const std::string& line = lines[row];
    const int top_y = (static_cast<int>(row) - margin / 2) * 2;
    std::size_t i = 0;
    for (int x = -margin; x < code->size() + margin; ++x) {
      ASSERT_LT(i, line.size()) << "line " << row << " too short";
      bool top_dark, bottom_dark;
      if (line[i] == ' ') {
        top_dark = bottom_dark = true;
        i += 1;
      } else {
        const std::string ch = line.substr(i, 3);
        ASSERT_TRUE(ch == "\u2588" || ch == "\u2580" || ch == "\u2584") << "line " << row;
        top_dark = ch == "\u2584";
        bottom_dark = ch == "\u2580";
        i += 3;
      }
      ASSERT_EQ(top_dark, code->dark(x, top_y)) << x << "," << top_y;
      ASSERT_EQ(bottom_dark, code->dark(x, top_y + 1)) << x << "," << top_y + 1;
    }
    EXPECT_EQ(i, line.size()) << "line " << row << " too long";
  }
  // The ANSI form is the same lines wrapped in colour codes.
  std::string wrapped;
  for (const auto& line : lines) wrapped += "\033[40;37;1m" + line + "\033[0m\n";
  EXPECT_EQ(to_ansi_utf8(*code, margin), wrapped);
}

}  // namespace
}  // namespace wgd::qr
