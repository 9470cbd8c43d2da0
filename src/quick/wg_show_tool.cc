#include "quick/wg_show_tool.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "quick/directory.h"
#include "uapi/showconf.h"
#include "uapi/uapi_client.h"
#include "uapi/wg_show.h"
#include "util/unique_fd.h"

namespace wgd::quick {
namespace {

constexpr std::string_view kSuffix = ".sock";

std::string socket_file(const std::string& dir, std::string_view name) {
  return dir + "/" + std::string(name) + std::string(kSuffix);
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// wg's userspace_has_wireguard_interface: a socket file that does not refuse connections; one
// that does is left over from a process that is gone, and is removed.
bool has_userspace_interface(const std::string& path) {
  if (!is_socket(path)) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 &&
      errno == ECONNREFUSED) {
    ::unlink(path.c_str());
    return false;
  }
  return true;
}

// What wg reports for a name that is not a userspace interface: the kernel's answer.
int kernel_errno(const ShowToolContext& context) {
  struct stat st {};
  return ::stat(context.kernel_module_path.c_str(), &st) == 0 ? ENODEV : EPROTONOSUPPORT;
}

// ipc_get_device: errno on failure.
std::expected<wg::DeviceStatus, int> get_device(std::string_view name,
                                                const ShowToolContext& context) {
  if (name.empty() || name.find('/') != std::string_view::npos)
    return std::unexpected(kernel_errno(context));
  const std::string path = socket_file(context.socket_dir, name);
  if (!has_userspace_interface(path)) return std::unexpected(kernel_errno(context));
  auto status = uapi::get(path);
  if (!status) return std::unexpected(status.error().code ? status.error().code : EIO);
  return std::move(*status);
}

void put(std::FILE* f, std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), f);
}

void usage(const ShowToolContext& context) {
  put(context.err, uapi::show_usage(context.program, "show"));
}

uapi::ShowStyle style(const ShowToolContext& context) {
  return uapi::show_style_from_environment(
      context.out_fd, context.now ? context.now : static_cast<std::int64_t>(std::time(nullptr)));
}

// ugly_print: false (after the usage) for a parameter wg does not know.
bool print_field(std::string_view name, const wg::DeviceStatus& status, std::string_view param,
                 bool with_interface, const ShowToolContext& context) {
  auto field = uapi::parse_show_field(param);
  if (!field) {
    put(context.err, fmt::format("Invalid parameter: `{}'\n", param));
    usage(context);
    return false;
  }
  put(context.out, uapi::render_show_field(name, status, *field, with_interface));
  return true;
}

}  // namespace

Result<std::vector<std::string>> list_userspace_interfaces(const std::string& socket_dir) {
  std::vector<std::string> names;
  Directory dir = open_directory(socket_dir);
  if (!dir) {
    if (errno == ENOENT) return names;
    return fail(std::strerror(errno), errno);
  }
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view entry = e->d_name;
    if (entry.size() <= kSuffix.size() || !entry.ends_with(kSuffix)) continue;
    std::string_view name = entry.substr(0, entry.size() - kSuffix.size());
    if (has_userspace_interface(socket_file(socket_dir, name))) names.emplace_back(name);
  }
  return names;
}

int show_main(std::span<const std::string_view> args, const ShowToolContext& context) {
  if (args.size() > 2) {
    usage(context);
    return 1;
  }
  if (args.empty() || args[0] == "all") {
    auto names = list_userspace_interfaces(context.socket_dir);
    if (!names) {
      put(context.err, fmt::format("Unable to list interfaces: {}\n", names.error().message));
      return 1;
    }
    int ret = names->empty() ? 0 : 1;
    const auto show_style = style(context);
    for (std::size_t i = 0; i < names->size(); ++i) {
      const std::string& name = (*names)[i];
      auto device = get_device(name, context);
      if (!device) {
        put(context.err, fmt::format("Unable to access interface {}: {}\n", name,
                                     std::strerror(device.error())));
        continue;
      }
      if (args.size() == 2) {
        if (!print_field(name, *device, args[1], true, context)) {
          ret = 1;
          break;
        }
      } else {
        put(context.out, uapi::render_show_pretty(name, *device, show_style));
        if (i + 1 < names->size()) put(context.out, "\n");
      }
      ret = 0;
    }
    return ret;
  }
  if (args[0] == "interfaces") {
    if (args.size() > 1) {
      usage(context);
      return 1;
    }
    auto names = list_userspace_interfaces(context.socket_dir);
    if (!names) {
      put(context.err, fmt::format("Unable to list interfaces: {}\n", names.error().message));
      return 1;
    }
    std::vector<std::string_view> views(names->begin(), names->end());
    put(context.out, uapi::render_show_interfaces(views));
    return 0;
  }
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")) {
    usage(context);
    return 0;
  }
  auto device = get_device(args[0], context);
  if (!device) {
    put(context.err,
        fmt::format("Unable to access interface: {}\n", std::strerror(device.error())));
    return 1;
  }
  if (args.size() == 2) return print_field(args[0], *device, args[1], false, context) ? 0 : 1;
  put(context.out, uapi::render_show_pretty(args[0], *device, style(context)));
  return 0;
}

int showconf_main(std::span<const std::string_view> args, const ShowToolContext& context) {
  if (args.size() != 1) {
    put(context.err, fmt::format("Usage: {} showconf <interface>\n", context.program));
    return 1;
  }
  auto device = get_device(args[0], context);
  if (!device) {
    put(context.err,
        fmt::format("Unable to access interface: {}\n", std::strerror(device.error())));
    return 1;
  }
  put(context.out, uapi::render_showconf(*device));
  return 0;
}

}  // namespace wgd::quick
