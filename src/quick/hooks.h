// PreUp/PostUp/PreDown/PostDown: each hook, with every `%i` replaced by the interface name, is
// printed as "[#] HOOK" and run by `/bin/sh -e -c HOOK`, one after the other, in file order.
//
// wg-quick runs them with bash (`(eval "$hook")` in a subshell of a `set -e` script). We use
// /bin/sh, which every system has (wgd runs where bash does not, e.g. Alpine or distroless
// containers); a hook that needs bash syntax can say `bash -c '...'`. `-e` keeps wg-quick's
// inherited errexit: a hook "a; b" stops at a failing a. Like wg-quick, hooks see LC_ALL=C and
// inherit our stdin, stdout and stderr.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "quick/step_log.h"
#include "util/error.h"

namespace wgd::quick {

inline constexpr std::string_view kHookShell = "/bin/sh";

// "PostUp = iptables -A FORWARD -i %i" -> "iptables -A FORWARD -i wg0".
std::string expand_hook(std::string_view hook, std::string_view interface);

// Runs the hooks in order; stops at the first that fails: "PostUp hook 2 of 3 exited with
// status 1" (the hook's text is not repeated: it was printed just before, and may carry secrets).
Result<void> run_hooks(std::string_view kind, std::span<const std::string> hooks,
                       std::string_view interface, const StepLog& log);

}  // namespace wgd::quick
