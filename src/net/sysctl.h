// Kernel parameters under /proc/sys, named as sysctl(8) names them: "net.ipv4.ip_forward".
// wg-quick sets net.ipv4.conf.all.src_valid_mark=1 for a default route (so replies to the
// fwmark'ed endpoint traffic pass reverse-path filtering); a server needs forwarding on.
//
// The /proc/sys/net values belong to the network namespace of the calling thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace wgd::net {

// "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward". As in sysctl(8), a key written with
// slashes keeps its dots, for interface names that have them: "net/ipv4/conf/eth0.10/rp_filter".
// nullopt for a key that could name something outside /proc/sys (empty parts, "..").
std::optional<std::string> sysctl_path(std::string_view key);

// The value with surrounding whitespace removed. Errors name the key: "sysctl net.ipv4.foo: ...".
Result<std::string> sysctl_read(std::string_view key);
Result<void> sysctl_write(std::string_view key, std::string_view value);

}  // namespace wgd::net
