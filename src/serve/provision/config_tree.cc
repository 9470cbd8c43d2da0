#include "serve/provision/config_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "qr/atomic_file.h"
#include "util/unique_fd.h"

namespace wgd::serve::provision {
namespace {

Result<void> make_dir(const std::filesystem::path& p) {
  if (::mkdir(p.c_str(), 0700) == 0) return {};
  if (errno != EEXIST) return failf("mkdir {}: {}", p.string(), std::strerror(errno));
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return failf("{} exists and is not a directory", p.string());
  return {};
}

}  // namespace

Result<void> ConfigTree::hand_over(const std::filesystem::path& p) const {
  if (!owner_ && !group_) return {};
  const uid_t u = owner_ ? *owner_ : static_cast<uid_t>(-1);
  const gid_t g = group_ ? *group_ : static_cast<gid_t>(-1);
  if (::lchown(p.c_str(), u, g) != 0)
    return failf("chown {} to PUID/PGID {}:{}: {}", p.string(), owner_ ? std::to_string(*owner_) : "-",
                 group_ ? std::to_string(*group_) : "-", std::strerror(errno));
  return {};
}

Result<void> ConfigTree::prepare_root() {
  std::error_code ec;
  if (!std::filesystem::exists(root_, ec)) {
    if (auto parent = root_.parent_path(); !parent.empty()) {
      std::filesystem::create_directories(parent, ec);
      if (ec) return failf("WGD_CONFIG_DIR: cannot create {}: {}", parent.string(), ec.message());
    }
  }
  if (auto ok = make_dir(root_); !ok) return std::unexpected(ok.error().context("WGD_CONFIG_DIR"));
  return hand_over(root_);
}

Result<void> ConfigTree::ensure_dir(std::string_view relative) {
  const auto p = path(relative);
  if (auto ok = make_dir(p); !ok) return ok;
  return hand_over(p);
}

Result<std::optional<std::string>> ConfigTree::read(std::string_view relative) const {
  const auto p = path(relative);
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return failf("open {}: {}", p.string(), std::strerror(errno));
  }
  std::string out;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failf("read {}: {}", p.string(), std::strerror(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (16u << 20)) return failf("{}: larger than 16 MiB", p.string());
  }
  return std::optional<std::string>(std::move(out));
}

Result<bool> ConfigTree::write(std::string_view relative, std::string_view bytes, mode_t mode) {
  const auto p = path(relative);
  auto current = read(relative);
  bool same = false;
  if (current && *current && **current == bytes) {
    struct stat st {};
    same = ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == mode;
  }
  if (!same) {
    if (auto ok = qr::write_file_atomically(p, bytes, mode); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = hand_over(p); !ok) return std::unexpected(ok.error());
  return !same;
}

Result<bool> ConfigTree::link(std::string_view relative, std::string_view target) {
  const auto p = path(relative);
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(p, ec);
  if (std::filesystem::is_symlink(status) && std::filesystem::read_symlink(p, ec) == target && !ec)
    return false;
  if (std::filesystem::is_directory(status)) return failf("{} is a directory", p.string());
  // A new link beside it, renamed over: readers see the old file or the link, never nothing.
  const auto tmp = p.string() + ".wgd-new";
  ::unlink(tmp.c_str());
  if (::symlink(std::string(target).c_str(), tmp.c_str()) != 0)
    return failf("symlink {}: {}", tmp, std::strerror(errno));
  if (::rename(tmp.c_str(), p.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return failf("rename {} to {}: {}", tmp, p.string(), std::strerror(e));
  }
  if (auto ok = hand_over(p); !ok) return std::unexpected(ok.error());
  return true;
}

}  // namespace wgd::serve::provision
