#include "serve/store/sqlite_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "util/unique_fd.h"

namespace wgd::serve::sqlite {
namespace {

constexpr mode_t kMode = 0600;

Error errno_error(std::string_view what, const std::string& path, int err) {
  return Error{fmt::format("{} {}: {}", what, path, std::strerror(err)), EIO};
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Makes a just-created file's directory entry durable.
Result<void> sync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0)
    return std::unexpected(errno_error("sync directory", dir, errno));
  return {};
}

// Sets an open file to exactly 0600 (no group/other access; owner read+write, which SQLite
// needs); true if it was anything else.
Result<bool> restrict_mode(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return std::unexpected(errno_error("stat", path, errno));
  if (!S_ISREG(st.st_mode)) return fail(fmt::format("{} is not a regular file", path), EIO);
  if ((st.st_mode & 07777) == kMode) return false;
  if (::fchmod(fd, kMode) != 0) return std::unexpected(errno_error("chmod 0600", path, errno));
  return true;
}

}  // namespace

Result<DatabaseFile> prepare_database_file(const std::string& path) {
  DatabaseFile out;
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kMode));
  if (fd) {
    out.created = true;
    // The umask may have taken bits away (SQLite needs read and write); set exactly 0600.
    if (::fchmod(fd.get(), kMode) != 0 || ::fsync(fd.get()) != 0)
      return std::unexpected(errno_error("create", path, errno));
    if (auto ok = sync_dir(parent_dir(path)); !ok) return std::unexpected(ok.error());
  } else if (errno == EEXIST) {
    fd.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) return std::unexpected(errno_error("open", path, errno));
    auto fixed = restrict_mode(fd.get(), path);
    if (!fixed) return std::unexpected(fixed.error());
    if (*fixed) out.repaired.push_back(path);
  } else {
    return std::unexpected(errno_error("create", path, errno));
  }

  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved))
    return std::unexpected(errno_error("resolve", path, errno));
  out.path = resolved;

  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    std::string companion = out.path + suffix;
    UniqueFd cfd(::open(companion.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!cfd) {
      if (errno == ENOENT) continue;
      return std::unexpected(errno_error("open", companion, errno));  // ELOOP: a symlink
    }
    auto fixed = restrict_mode(cfd.get(), companion);
    if (!fixed) return std::unexpected(fixed.error());
    if (*fixed) out.repaired.push_back(companion);
  }
  return out;
}

}  // namespace wgd::serve::sqlite
