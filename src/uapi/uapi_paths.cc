#include "uapi/uapi_paths.h"

#include <net/if.h>

#include <cctype>
#include <cerrno>

namespace wgd::uapi {

Result<void> validate_interface_name(std::string_view ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ)
    return fail(fmt::format("interface name must be 1 to {} characters", IFNAMSIZ - 1), EINVAL);
  if (ifname == "." || ifname == "..")
    return fail("interface name cannot be \".\" or \"..\"", EINVAL);
  for (char c : ifname) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || c == '\0')
      return fail(fmt::format("interface name \"{}\" contains '/', ':', NUL or whitespace",
                              ifname),
                  EINVAL);
  }
  return {};
}

std::string socket_path(std::string_view ifname, std::string_view dir) {
  std::string path(dir);
  if (path.empty() || path.back() != '/') path += '/';
  path += ifname;
  path += ".sock";
  return path;
}

Result<std::string> resolve_socket_path(std::string_view ifname_or_path) {
  if (ifname_or_path.find('/') != std::string_view::npos) return std::string(ifname_or_path);
  if (auto ok = validate_interface_name(ifname_or_path); !ok) return std::unexpected(ok.error());
  return socket_path(ifname_or_path);
}

}  // namespace wgd::uapi
