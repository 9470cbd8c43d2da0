// A QR code symbol for a client's wg-quick configuration, encoded by libqrencode.
//
// The defaults are those of the `qrencode` command line tool, because that is what
// linuxserver/wireguard and most guides run (`qrencode -t ansiutf8 < peer.conf`): error
// correction level L, the smallest version that fits, and the tool's mixed segmentation
// (digit and upper-case runs in their compact modes, everything else in 8-bit mode, case
// kept). The official WireGuard apps decode every mode; the same text therefore gives the
// same symbol here as from the tool, module for module.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace wgd::qr {

// The quiet zone the QR standard asks for, and the margin `qrencode` draws for every output
// type (its text types show it as 4 columns either side and 2 half-block rows above/below).
inline constexpr int kDefaultMargin = 4;

enum class ErrorCorrection { kLow, kMedium, kQuartile, kHigh };  // L, M, Q, H: 7/15/25/30 %

enum class Segmentation {
  kMixed,     // `qrencode` default: compact modes where they save space; text has no NUL byte
  kEightBit,  // `qrencode -8`: every byte in 8-bit mode; any bytes, NUL included
};

struct EncodeOptions {
  ErrorCorrection level = ErrorCorrection::kLow;
  Segmentation segmentation = Segmentation::kMixed;
};

// The module matrix of one symbol, without quiet zone. A plain value: copyable, no C handle.
class QrCode {
 public:
  int version() const { return version_; }  // 1..40
  int size() const { return size_; }        // modules per side: 17 + 4 * version
  // Coordinates outside the symbol read as light, so renderers can walk the quiet zone
  // with the same call.
  bool dark(int x, int y) const {
    if (x < 0 || y < 0 || x >= size_ || y >= size_) return false;
    return modules_[static_cast<std::size_t>(y) * size_ + x] != 0;
  }
  int dark_count() const;

 private:
  friend Result<QrCode> encode(std::string_view text, EncodeOptions options);
  QrCode(int version, int size, std::vector<std::uint8_t> modules)
      : version_(version), size_(size), modules_(std::move(modules)) {}

  int version_ = 0;
  int size_ = 0;
  std::vector<std::uint8_t> modules_;  // row-major, 1 = dark
};

// Errors name the size and the limit, never the text (it holds private keys). The error's
// code is the errno libqrencode reported: ERANGE when the text does not fit version 40.
Result<QrCode> encode(std::string_view text, EncodeOptions options = {});

}  // namespace wgd::qr
