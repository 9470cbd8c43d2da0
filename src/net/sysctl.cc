#include "net/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/unique_fd.h"

namespace wgd::net {
namespace {

std::unexpected<Error> sysctl_error(std::string_view key, int code) {
  return std::unexpected(Error{fmt::format("sysctl {}: {}", key, std::strerror(code)), code});
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> sysctl_path(std::string_view key) {
  const char sep = key.find('/') != std::string_view::npos ? '/' : '.';
  std::string path = "/proc/sys";
  std::size_t start = 0;
  for (;;) {
    std::size_t end = key.find(sep, start);
    std::string_view part =
        key.substr(start, end == std::string_view::npos ? key.npos : end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != part.npos)
      return std::nullopt;
    if (sep == '.' && part.find('/') != part.npos) return std::nullopt;
    path += '/';
    path += part;
    if (end == std::string_view::npos) return path;
    start = end + 1;
  }
}

Result<std::string> sysctl_read(std::string_view key) {
  auto path = sysctl_path(key);
  if (!path) return fail(fmt::format("sysctl {}: not a valid key", key), EINVAL);
  UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sysctl_error(key, errno);
  std::string value;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sysctl_error(key, errno);
    }
    if (n == 0) break;
    value.append(buf, static_cast<std::size_t>(n));
  }
  return std::string(trim(value));
}

Result<void> sysctl_write(std::string_view key, std::string_view value) {
  auto path = sysctl_path(key);
  if (!path) return fail(fmt::format("sysctl {}: not a valid key", key), EINVAL);
  UniqueFd fd(::open(path->c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return sysctl_error(fmt::format("{}={}", key, value), errno);
  // One write: /proc/sys handlers parse each write on its own, so a split value would be misread.
  std::string line = std::string(value) + "\n";
  for (;;) {
    ssize_t n = ::write(fd.get(), line.data(), line.size());
    if (n >= 0) {
      if (static_cast<std::size_t>(n) != line.size())
        return fail(fmt::format("sysctl {}: short write of value '{}'", key, value), EIO);
      return {};
    }
    if (errno != EINTR) return sysctl_error(fmt::format("{}={}", key, value), errno);
  }
}

}  // namespace wgd::net
