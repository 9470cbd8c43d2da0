// The directory the container calls /config, as wgd writes it: files replaced atomically and
// only when their bytes change (so a restart with the same settings touches nothing, and a
// reader never sees half a key or half a PNG), directories 0700 and secrets 0600 from the
// first byte, and everything owned by PUID:PGID when those are given (the container's
// `lsiown -R abc:abc /config`, which lets the host user copy the PNGs off the volume).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace wgd::serve::provision {

class ConfigTree {
 public:
  ConfigTree(std::filesystem::path root, std::optional<uid_t> owner, std::optional<gid_t> group)
      : root_(std::move(root)), owner_(owner), group_(group) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path path(std::string_view relative) const { return root_ / relative; }

  // Creates the root (0700 when it is new; an existing one keeps its mode, as a mounted
  // volume should) and hands it to PUID:PGID.
  Result<void> prepare_root();
  // A subdirectory, created 0700 when missing.
  Result<void> ensure_dir(std::string_view relative);
  // The file's bytes, or nothing when it does not exist. Errors for anything but ENOENT.
  Result<std::optional<std::string>> read(std::string_view relative) const;
  // Writes `bytes` with `mode` unless the file already holds exactly them with that mode;
  // true when it wrote.
  Result<bool> write(std::string_view relative, std::string_view bytes, mode_t mode);
  // A relative symbolic link at `relative` pointing to `target`, replacing a file or another
  // link there (never a directory); true when it changed anything.
  Result<bool> link(std::string_view relative, std::string_view target);

 private:
  Result<void> hand_over(const std::filesystem::path& p) const;

  std::filesystem::path root_;
  std::optional<uid_t> owner_;
  std::optional<gid_t> group_;
};

}  // namespace wgd::serve::provision
