#include "mesh/file_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wgd::mesh {
namespace {

std::unexpected<Error> fail_errno(const std::filesystem::path& path, std::string_view what,
                                  int err) {
  return std::unexpected(
      Error{fmt::format("{}: {}: {}", path.string(), what, std::strerror(err)), err});
}

}  // namespace

Result<std::optional<ExistingFile>> read_existing(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<ExistingFile>{};
    return fail_errno(path, "open", errno);
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(path, "fstat", errno);
  if (!S_ISREG(st.st_mode)) return failf("{}: not a regular file", path.string());
  ExistingFile file;
  file.mode = st.st_mode & 07777;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(path, "read", errno);
    }
    if (n == 0) break;
    file.content.append(buf, static_cast<std::size_t>(n));
  }
  return std::optional<ExistingFile>{std::move(file)};
}

Result<void> make_directory(const std::filesystem::path& path, mode_t mode, bool* created) {
  if (created) *created = false;
  if (::mkdir(path.c_str(), 0700) != 0) {
    if (errno != EEXIST) return fail_errno(path, "mkdir", errno);
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return fail_errno(path, "stat", errno);
    if (!S_ISDIR(st.st_mode)) return failf("{}: exists and is not a directory", path.string());
    return {};
  }
  if (::chmod(path.c_str(), mode) != 0) return fail_errno(path, "chmod", errno);
  if (created) *created = true;
  return {};
}

Result<UniqueFd> lock_directory(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno(path, "open", errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return failf("{}: another `wgd mesh generate` is writing this directory", path.string());
    return fail_errno(path, "flock", errno);
  }
  return fd;
}

}  // namespace wgd::mesh
