// `wgd show` and `wgd showconf`: wg(8)'s show_main and showconf_main over the UAPI sockets —
// the same arguments, output, error lines and exit codes, rendered by uapi/wg_show.h and
// uapi/showconf.h.
//
// Like wg, the interface list is the directory's *.sock entries in readdir order, keeping those
// that accept a connection and removing those nobody serves any more (ECONNREFUSED). A name with no
// userspace socket is what wg would then ask the kernel about: it answers "No such device" where
// the WireGuard module is loaded and "Protocol not supported" where it is not, and so do we.
// Kernel WireGuard interfaces themselves are not listed or read (we speak only the UAPI).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace wgd::quick {

struct ShowToolContext {
  std::string socket_dir = "/var/run/wireguard";
  std::string program = "wgd";  // in the usage lines, as wg prints its argv[0]
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  int out_fd = STDOUT_FILENO;  // colour only when this is a terminal (and WG_COLOR_MODE)
  // Present when the kernel module is loaded (wg-quick's test too).
  std::string kernel_module_path = "/sys/module/wireguard";
  std::int64_t now = 0;  // Unix time for "latest handshake: ... ago"; 0 = the clock
};

// The live userspace interfaces, as wg lists them (see above). Fails when the directory exists
// but cannot be read.
Result<std::vector<std::string>> list_userspace_interfaces(const std::string& socket_dir);

// `wg show ARGS...` (the words after "show"); returns the exit code.
int show_main(std::span<const std::string_view> args, const ShowToolContext& context = {});
// `wg showconf ARGS...`.
int showconf_main(std::span<const std::string_view> args, const ShowToolContext& context = {});

}  // namespace wgd::quick
