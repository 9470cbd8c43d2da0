// PNG images of a QR code, as `qrencode -o peer.png` draws them (linuxserver/wireguard's
// peer_NAME.png files) and as the REST API serves them.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "qr/qr_code.h"
#include "util/error.h"

namespace wgd::qr {

inline constexpr int kDefaultPngScale = 3;  // pixels per module, `qrencode -s` default
inline constexpr int kMaxPngSide = 16384;   // pixels; far above any useful size, bounds memory

// A 1-bit greyscale PNG (dark modules 0, light 1) of side (size + 2 * margin) * scale pixels,
// tagged 72 dpi like qrencode's. Fails on a scale below 1, a negative margin, an image wider
// than kMaxPngSide, or an error inside libpng.
Result<std::string> to_png(const QrCode& code, int scale = kDefaultPngScale,
                           int margin = kDefaultMargin);

// to_png() with the defaults, written atomically to `path` with exactly `mode`. The default
// mode is 0600 because the image of a client configuration holds its private key.
Result<void> write_png_file(const std::filesystem::path& path, const QrCode& code,
                            mode_t mode = 0600);

}  // namespace wgd::qr
