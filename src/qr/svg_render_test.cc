#include "qr/svg_render.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "qr/test_support.h"

namespace wgd::qr {
namespace {

using test::find_program;
using test::run_program;
using test::sample_client_config;

// Reads the document back into a module grid: checks the frame, then replays every
// rectangle of the path onto a grid of the viewBox's size.
struct ParsedSvg {
  int side = 0;
  std::vector<std::vector<int>> covered;  // how many rectangles cover each module
};

// A cursor over the path data that reads the one rectangle form the renderer emits.
class PathReader {
 public:
  explicit PathReader(std::string_view d) : d_(d) {}
  bool done() const { return d_.empty(); }
  bool literal(std::string_view text) {
    if (!d_.starts_with(text)) return false;
    d_.remove_prefix(text.size());
    return true;
  }
  std::optional<int> number() {
    int value = 0;
    const auto [end, ec] = std::from_chars(d_.data(), d_.data() + d_.size(), value);
    if (ec != std::errc() || end == d_.data()) return std::nullopt;
    d_.remove_prefix(static_cast<std::size_t>(end - d_.data()));
    return value;
  }

 private:
  std::string_view d_;
};

ParsedSvg parse_svg(const std::string& svg) {
  ParsedSvg parsed;
  const std::string_view view_box = "viewBox=\"0 0 ";
  const auto at = svg.find(view_box);
  EXPECT_NE(at, std::string::npos) << svg.substr(0, 200);
  if (at == std::string::npos) return parsed;
  parsed.side = std::atoi(svg.c_str() + at + view_box.size());
  EXPECT_GT(parsed.side, 0);

  // Everything but the path data is fixed once the side is known.
  const std::string side = std::to_string(parsed.side);
  const std::string head = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + side +
                           " " + side + "\" shape-rendering=\"crispEdges\"><rect width=\"" +
                           side + "\" height=\"" + side +
                           "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  const std::string tail = "\"/></svg>\n";
  EXPECT_TRUE(svg.starts_with(head)) << svg.substr(0, head.size());
  EXPECT_TRUE(svg.ends_with(tail));
  if (!svg.starts_with(head) || !svg.ends_with(tail) || svg.size() < head.size() + tail.size()) {
    return parsed;
  }
  parsed.covered.assign(parsed.side, std::vector<int>(parsed.side, 0));

  PathReader d(std::string_view(svg).substr(head.size(), svg.size() - head.size() - tail.size()));
  while (!d.done()) {
    std::optional<int> x, y, w, back;
    const bool ok = d.literal("M") && (x = d.number()) && d.literal(" ") && (y = d.number()) &&
                    d.literal("h") && (w = d.number()) && d.literal("v1h-") &&
                    (back = d.number()) && d.literal("z");
    EXPECT_TRUE(ok) << "path does not parse";
    if (!ok) return parsed;
    EXPECT_EQ(*back, *w) << "rectangle does not close";
    EXPECT_GT(*w, 0);
    EXPECT_GE(*x, 0);
    EXPECT_GE(*y, 0);
    EXPECT_LT(*y, parsed.side);
    EXPECT_LE(*x + *w, parsed.side);
    if (*x < 0 || *y < 0 || *y >= parsed.side || *x + *w > parsed.side) continue;
    for (int i = 0; i < *w; ++i) ++parsed.covered[*y][*x + i];
  }
  return parsed;
}

TEST(SvgRender, PathCoversExactlyTheDarkModules) {
  auto code = encode(sample_client_config());
  ASSERT_TRUE(code);
  for (const int margin : {4, 0, 1}) {
    const ParsedSvg svg = parse_svg(to_svg(*code, margin));
    ASSERT_EQ(svg.side, code->size() + 2 * margin);
    int dark = 0;
    for (int y = 0; y < svg.side; ++y) {
      for (int x = 0; x < svg.side; ++x) {
        ASSERT_LE(svg.covered[y][x], 1) << "overlap at " << x << "," << y;
        ASSERT_EQ(svg.covered[y][x] == 1, code->dark(x - margin, y - margin))
            << x << "," << y << " margin " << margin;
        dark += svg.covered[y][x];
      }
    }
    EXPECT_EQ(dark, code->dark_count());
  }
}

TEST(SvgRender, RunsAreMergedIntoOneRectanglePerRun) {
  auto code = encode(sample_client_config());
  ASSERT_TRUE(code);
  int runs = 0;
  for (int y = 0; y < code->size(); ++y) {
    for (int x = 0; x < code->size(); ++x) {
      if (code->dark(x, y) && !code->dark(x - 1, y)) ++runs;
    }
  }
  const std::string svg = to_svg(*code);
  std::size_t moves = 0;
  for (char c : svg) moves += c == 'M';
  EXPECT_EQ(moves, static_cast<std::size_t>(runs));
}

// A real renderer draws it, and a real scanner reads the configuration back.
TEST(SvgRender, RasterisedSvgDecodesToTheConfig) {
  if (!find_program("rsvg-convert")) GTEST_SKIP() << "rsvg-convert (librsvg2-bin) missing";
  if (!find_program("zbarimg")) GTEST_SKIP() << "zbarimg (Debian package zbar-tools) missing";
  test::TempDir dir;
  const std::string config = sample_client_config();
  auto code = encode(config);
  ASSERT_TRUE(code);
  test::write_file(dir / "peer.svg", to_svg(*code));
  const int pixels = (code->size() + 8) * 4;
  const auto raster = run_program({"rsvg-convert", "-w", std::to_string(pixels), "-h",
                                   std::to_string(pixels), "-o", (dir / "peer.png").string(),
                                   (dir / "peer.svg").string()});
  ASSERT_EQ(raster.exit_code, 0) << raster.err;
  const auto scan = run_program(
      {"zbarimg", "--nodbus", "--raw", "-q", "-Sbinary", (dir / "peer.png").string()});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_EQ(scan.out, config);
}

}  // namespace
}  // namespace wgd::qr
