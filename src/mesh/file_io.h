// Small file system helpers for the mesh output: reading what is there, and making the private
// directories the keys live in.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "util/error.h"
#include "util/unique_fd.h"

namespace wgd::mesh {

struct ExistingFile {
  std::string content;
  mode_t mode = 0;  // permission bits only
};

// The file's content and mode; nothing when it does not exist.
Result<std::optional<ExistingFile>> read_existing(const std::filesystem::path& path);

// mkdir with `mode` (exactly, whatever the umask) unless it exists; a parent must exist.
// `created` tells whether it was made now.
Result<void> make_directory(const std::filesystem::path& path, mode_t mode, bool* created = nullptr);

// An exclusive advisory lock on a directory, held while the handle lives, so two runs of
// `wgd mesh generate` on one output cannot interleave their state and files.
Result<UniqueFd> lock_directory(const std::filesystem::path& path);

}  // namespace wgd::mesh
