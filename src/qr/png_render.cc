#include "qr/png_render.h"

#include <png.h>

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "qr/atomic_file.h"

namespace wgd::qr {
namespace {

// 72 dpi in pixels per metre, truncated as qrencode does (72 * 100 / 2.54 = 2834.6).
constexpr png_uint_32 kPixelsPerMetre = 2834;

// Shared with libpng's callbacks (as both its error pointer and its I/O pointer).
struct WriteContext {
  std::string* out = nullptr;
  char error[256] = {};  // a fixed buffer: the error callback must not allocate
};

// libpng's error callback must not return. It longjmps to the setjmp in write_image(); the
// frames it crosses (libpng's, and ours below, which hold only trivial objects) have no
// destructors to skip.
void on_png_error(png_structp png, png_const_charp message) {
  auto* context = static_cast<WriteContext*>(png_get_error_ptr(png));
  std::snprintf(context->error, sizeof context->error, "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}  // nothing we write can warrant one

void on_png_write(png_structp png, png_bytep data, png_size_t length) {
  auto* context = static_cast<WriteContext*>(png_get_io_ptr(png));
  bool appended = true;
  try {
    context->out->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {
    appended = false;  // no exception may cross libpng's C frames
  }
  if (!appended) png_error(png, "out of memory");
}

void on_png_flush(png_structp) {}

// Owns the libpng write and info structures.
class PngWriteStruct {
 public:
  explicit PngWriteStruct(WriteContext* context)
      : png_(png_create_write_struct(PNG_LIBPNG_VER_STRING, context, on_png_error,
                                     on_png_warning)),
        info_(png_ ? png_create_info_struct(png_) : nullptr) {}
  PngWriteStruct(const PngWriteStruct&) = delete;
  PngWriteStruct& operator=(const PngWriteStruct&) = delete;
  ~PngWriteStruct() {
    if (png_) png_destroy_write_struct(&png_, info_ ? &info_ : nullptr);
  }

  bool ok() const { return png_ && info_; }
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_;
  png_infop info_;
};

struct Geometry {
  int scale;
  int margin;
  int side;  // pixels
};

// Packs one pixel row of module row `module_y` (quiet zone included) into 1-bit pixels,
// most significant bit first; light is 1.
void fill_row(const QrCode& code, const Geometry& g, int module_y, png_bytep row) {
  const int row_bytes = (g.side + 7) / 8;
  std::memset(row, 0xff, static_cast<std::size_t>(row_bytes));
  for (int px = 0; px < g.side; ++px) {
    if (code.dark(px / g.scale - g.margin, module_y)) {
      row[px / 8] = static_cast<png_byte>(row[px / 8] & ~(0x80u >> (px % 8)));
    }
  }
}

[[gnu::noinline]] void write_body(png_structp png, png_infop info, const QrCode& code,
                                  const Geometry& g, png_bytep row) {
  png_set_IHDR(png, info, static_cast<png_uint_32>(g.side), static_cast<png_uint_32>(g.side),
               1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_pHYs(png, info, kPixelsPerMetre, kPixelsPerMetre, PNG_RESOLUTION_METER);
  png_write_info(png, info);
  for (int y = 0; y < g.side; ++y) {
    if (y % g.scale == 0) fill_row(code, g, y / g.scale - g.margin, row);
    png_write_row(png, row);
  }
  png_write_end(png, info);
}

// The setjmp lives in a frame of its own with nothing to destroy, so png_error()'s longjmp
// lands here and the caller's C++ objects (buffers, the output string) unwind normally.
bool write_image(png_structp png, png_infop info, const QrCode& code, const Geometry& g,
                 png_bytep row) {
  if (setjmp(png_jmpbuf(png))) return false;
  write_body(png, info, code, g, row);
  return true;
}

}  // namespace

Result<std::string> to_png(const QrCode& code, int scale, int margin) {
  if (scale < 1) return failf("QR code PNG: scale {} is below 1 pixel per module", scale);
  if (margin < 0) return failf("QR code PNG: negative margin {}", margin);
  const long long side = (static_cast<long long>(code.size()) + 2LL * margin) * scale;
  if (side > kMaxPngSide) {
    return failf("QR code PNG: image would be {} pixels wide, more than the limit of {}", side,
                 kMaxPngSide);
  }
  const Geometry geometry{scale, margin, static_cast<int>(side)};

  std::string out;
  WriteContext context;
  context.out = &out;
  PngWriteStruct writer(&context);
  if (!writer.ok()) return fail("QR code PNG: libpng could not allocate its write structures");
  png_set_write_fn(writer.png(), &context, on_png_write, on_png_flush);
  std::vector<png_byte> row(static_cast<std::size_t>((side + 7) / 8));
  if (!write_image(writer.png(), writer.info(), code, geometry, row.data())) {
    return failf("QR code PNG: libpng: {}", context.error);
  }
  return out;
}

Result<void> write_png_file(const std::filesystem::path& path, const QrCode& code,
                            mode_t mode) {
  auto png = to_png(code);
  if (!png) return std::unexpected(png.error().context(path.string()));
  return write_file_atomically(path, *png, mode);
}

}  // namespace wgd::qr
