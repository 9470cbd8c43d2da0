#include "qr/qr_code.h"

#include <qrencode.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <string>

namespace wgd::qr {
namespace {

struct QrcodeFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};
using QrcodePtr = std::unique_ptr<QRcode, QrcodeFree>;

QRecLevel to_qrencode(ErrorCorrection level) {
  switch (level) {
    case ErrorCorrection::kLow: return QR_ECLEVEL_L;
    case ErrorCorrection::kMedium: return QR_ECLEVEL_M;
    case ErrorCorrection::kQuartile: return QR_ECLEVEL_Q;
    case ErrorCorrection::kHigh: return QR_ECLEVEL_H;
  }
  return QR_ECLEVEL_L;
}

char level_letter(ErrorCorrection level) { return "LMQH"[static_cast<int>(level)]; }

// What the largest symbol (version 40) holds in 8-bit mode, for the error message.
int eight_bit_capacity(ErrorCorrection level) {
  switch (level) {
    case ErrorCorrection::kLow: return 2953;
    case ErrorCorrection::kMedium: return 2331;
    case ErrorCorrection::kQuartile: return 1663;
    case ErrorCorrection::kHigh: return 1273;
  }
  return 0;
}

}  // namespace

int QrCode::dark_count() const {
  return static_cast<int>(std::count(modules_.begin(), modules_.end(), std::uint8_t{1}));
}

Result<QrCode> encode(std::string_view text, EncodeOptions options) {
  if (text.empty()) return fail("QR code: nothing to encode", EINVAL);
  if (text.size() > INT_MAX) return failf("QR code: {} bytes is far too long", text.size());

  const QRecLevel level = to_qrencode(options.level);
  constexpr int kAutoVersion = 0;  // the smallest version that holds the data
  errno = 0;
  QrcodePtr code;
  if (options.segmentation == Segmentation::kMixed) {
    // libqrencode takes a C string here; a NUL would silently cut the text short.
    if (text.find('\0') != std::string_view::npos) {
      return fail("QR code: text contains a NUL byte; mixed segmentation cannot carry it", EINVAL);
    }
    const std::string c_text(text);
    code.reset(QRcode_encodeString(c_text.c_str(), kAutoVersion, level, QR_MODE_8,
                                   /*casesensitive=*/1));
  } else {
    code.reset(QRcode_encodeData(static_cast<int>(text.size()),
                                 reinterpret_cast<const unsigned char*>(text.data()),
                                 kAutoVersion, level));
  }
  if (!code) {
    const int err = errno != 0 ? errno : EINVAL;
    if (err == ERANGE) {
      return fail(fmt::format("QR code: {} bytes do not fit the largest symbol at error "
                              "correction level {} (at most {} bytes of 8-bit data)",
                              text.size(), level_letter(options.level),
                              eight_bit_capacity(options.level)),
                  ERANGE);
    }
    return fail(fmt::format("QR code: encoding {} bytes failed: {}", text.size(),
                            std::strerror(err)),
                err);
  }

  // libqrencode keeps bookkeeping in the upper bits of each module byte; bit 0 is the colour.
  const int size = code->width;
  std::vector<std::uint8_t> modules(static_cast<std::size_t>(size) * size);
  for (std::size_t i = 0; i < modules.size(); ++i) modules[i] = code->data[i] & 1;
  return QrCode(code->version, size, std::move(modules));
}

}  // namespace wgd::qr
