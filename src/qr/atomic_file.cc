#include "qr/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/file_write.h"
#include "util/unique_fd.h"

namespace wgd::qr {
namespace {

std::unexpected<Error> fail_errno(const std::filesystem::path& path, std::string_view what,
                                  int err) {
  return std::unexpected(
      Error{fmt::format("writing {}: {}: {}", path.string(), what, std::strerror(err)), err});
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                   mode_t mode) {
  if (!path.has_filename()) {
    return failf("writing {}: not a file name", path.string());
  }
  const std::filesystem::path dir =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  // Hidden and in the same directory, so the rename stays on one file system and a
  // directory listing (or a `*.png` glob) does not pick up a half-written file.
  std::string temp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();

  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));  // mkostemp creates the file 0600
  if (!fd) return fail_errno(path, "creating a temporary file", errno);
  util::TempFileGuard guard(temp);

  if (::fchmod(fd.get(), mode) != 0) return fail_errno(path, "fchmod", errno);
  if (int err = util::write_all(fd.get(), bytes)) return fail_errno(path, "write", err);
  if (::fsync(fd.get()) != 0) return fail_errno(path, "fsync", errno);
  // close() can report a deferred write error (NFS); do not rename a file that failed.
  if (::close(fd.release()) != 0) return fail_errno(path, "close", errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail_errno(path, "rename", errno);
  guard.commit();

  // Make the rename itself durable: a crash must not bring back the old file.
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return fail_errno(path, "opening the directory to fsync it", errno);
  if (::fsync(dir_fd.get()) != 0) return fail_errno(path, "fsync of the directory", errno);
  return {};
}

}  // namespace wgd::qr
