#include "quick/config_location.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "util/unique_fd.h"

namespace wgd::quick {
namespace {

constexpr std::string_view kSuffix = ".conf";

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '=' || c == '+' || c == '.' || c == '-';
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

bool valid_wg_quick_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name)
    if (!name_char(c)) return false;
  return true;
}

Result<ConfigLocation> locate_config(std::string_view file_or_name, std::string_view config_dir) {
  std::string path(file_or_name);
  if (valid_wg_quick_interface_name(file_or_name))
    path = std::string(config_dir) + "/" + std::string(file_or_name) + std::string(kSuffix);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return failf("`{}' does not exist", path);

  // The name is taken from the path as given, before symlinks are resolved (as wg-quick does).
  std::string_view base = path;
  if (auto slash = base.rfind('/'); slash != std::string_view::npos) base.remove_prefix(slash + 1);
  std::string_view name = base;
  if (!name.ends_with(kSuffix) || !valid_wg_quick_interface_name(
                                      name.substr(0, name.size() - kSuffix.size())))
    return fail("The config file must be a valid interface name, followed by .conf");
  name.remove_suffix(kSuffix.size());
  // Linux refuses these two although they pass wg-quick's pattern; say so before doing anything.
  if (name == "." || name == "..")
    return failf("`{}' cannot be an interface name", name);

  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return failf("`{}': {}", path, std::strerror(errno));
  return ConfigLocation{real.get(), std::string(name)};
}

std::optional<std::string> world_accessible_warning(const std::string& path) {
  struct stat file {}, dir {};
  if (::stat(path.c_str(), &file) != 0 || ::stat(directory_of(path).c_str(), &dir) != 0)
    return std::nullopt;
  // wg-quick's test, bit for bit: the "other" permissions the file and its directory share.
  if ((file.st_mode & dir.st_mode & 0007) == 0) return std::nullopt;
  return fmt::format("Warning: `{}' is world accessible", path);
}

Result<uapi::WgQuickConfig> read_config(const ConfigLocation& location) {
  UniqueFd fd(::open(location.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return failf("`{}': {}", location.path, std::strerror(errno));
  std::string text;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failf("`{}': {}", location.path, std::strerror(errno));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return uapi::parse_wg_quick(text, location.path);
}

}  // namespace wgd::quick
