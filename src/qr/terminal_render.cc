#include "qr/terminal_render.h"

#include <algorithm>
#include <string_view>

namespace wgd::qr {
namespace {

constexpr std::string_view kFull = "\u2588";       // █ both modules light
constexpr std::string_view kUpperHalf = "\u2580";  // ▀ top light, bottom dark
constexpr std::string_view kLowerHalf = "\u2584";  // ▄ top dark, bottom light
constexpr std::string_view kEmpty = " ";           //   both modules dark

constexpr std::string_view kAnsiLightOnDark = "\033[40;37;1m";
constexpr std::string_view kAnsiReset = "\033[0m";

// Follows qrencode's writeUTF8(): margin / 2 lines of full blocks above and below (an odd
// margin loses its last half line, as there), `margin` full blocks either side, and the
// symbol's odd last row paired with light.
std::string render(const QrCode& code, int margin, std::string_view start,
                   std::string_view reset) {
  margin = std::max(margin, 0);
  const int side = code.size() + 2 * margin;
  std::string text;

  auto margin_lines = [&] {
    for (int i = 0; i < margin / 2; ++i) {
      text += start;
      for (int x = 0; x < side; ++x) text += kFull;
      text += reset;
      text += '\n';
    }
  };

  margin_lines();
  for (int y = 0; y < code.size(); y += 2) {
    text += start;
    for (int x = -margin; x < code.size() + margin; ++x) {
      const bool top = code.dark(x, y);
      const bool bottom = code.dark(x, y + 1);  // light past the last row
      text += top ? (bottom ? kEmpty : kLowerHalf) : (bottom ? kUpperHalf : kFull);
    }
    text += reset;
    text += '\n';
  }
  margin_lines();
  return text;
}

}  // namespace

std::string to_ansi_utf8(const QrCode& code, int margin) {
  return render(code, margin, kAnsiLightOnDark, kAnsiReset);
}

std::string to_utf8(const QrCode& code, int margin) { return render(code, margin, "", ""); }

}  // namespace wgd::qr
