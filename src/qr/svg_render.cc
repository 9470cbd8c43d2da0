#include "qr/svg_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace wgd::qr {

std::string to_svg(const QrCode& code, int margin) {
  margin = std::max(margin, 0);
  const int side = code.size() + 2 * margin;
  std::string svg;
  auto out = std::back_inserter(svg);
  fmt::format_to(out,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" "
                 "shape-rendering=\"crispEdges\">"
                 "<rect width=\"{0}\" height=\"{0}\" fill=\"#fff\"/>"
                 "<path fill=\"#000\" d=\"",
                 side);
  for (int y = 0; y < code.size(); ++y) {
    for (int x = 0; x < code.size();) {
      if (!code.dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (code.dark(x + run, y)) ++run;
      fmt::format_to(out, "M{} {}h{}v1h-{}z", x + margin, y + margin, run, run);
      x += run;
    }
  }
  svg += "\"/></svg>\n";
  return svg;
}

}  // namespace wgd::qr
