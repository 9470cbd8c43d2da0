// SVG images of a QR code for the REST API.
#pragma once

#include <string>

#include "qr/qr_code.h"

namespace wgd::qr {

// A compact SVG document measured in modules: viewBox "0 0 S S" with S = size + 2 * margin,
// a white background rectangle (so the code scans on a dark page too) and one black path
// with a "M x y h n v1 h-n z" rectangle per horizontal run of dark modules. It has no
// width/height, so it fills whatever box the page gives it; shape-rendering="crispEdges"
// keeps module edges sharp at any scale. A negative margin is taken as 0.
std::string to_svg(const QrCode& code, int margin = kDefaultMargin);

}  // namespace wgd::qr
