// Replace a file's contents all at once, with a chosen mode from the first byte on.
//
// QR codes of client configurations carry private keys, so a reader must never see a
// half-written image and the bytes must never sit in a file with a looser mode, even
// briefly. (Nothing here is QR-specific; it can move to util/ when another layer needs it.)
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "util/error.h"

namespace wgd::qr {

// Writes a temporary file next to `path` (created 0600, then set to exactly `mode`, whatever
// the umask), fsyncs it, renames it over `path` and fsyncs the directory. On any failure the
// temporary file is removed and `path` is left as it was.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                   mode_t mode);

}  // namespace wgd::qr
