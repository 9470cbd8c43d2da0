// Running the few external programs wg-quick's job still needs (hooks, resolvconf/resolvectl,
// nft/iptables-restore, and our own `wgd tunnel`): no shell in between unless the caller asks for
// one, stdin fed from a string, stdout/stderr captured or passed through.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace wgd::quick {

struct ProcessSpec {
  // argv[0] is a path (contains '/') or a name looked up in PATH, as execvp does.
  std::vector<std::string> argv;
  // The file to execute when it is not argv[0] (argv[0] then only names the process in ps).
  std::optional<std::string> executable;
  // Written to the child's stdin, which is then closed; nullopt: the child shares our stdin.
  std::optional<std::string> stdin_text;
  bool capture_stdout = false;  // else the child writes to our stdout
  bool capture_stderr = false;  // else the child writes to our stderr
  std::vector<std::string> set_env;    // "NAME=VALUE", added or replacing
  std::vector<std::string> unset_env;  // "NAME"
};

struct ProcessResult {
  int exit_status = 0;  // the exit code, or 128 + signal number if killed by a signal
  std::string out;      // stdout, when captured
  std::string err;      // stderr, when captured
};

// Runs the program to completion. Fails only when it could not be started (not found, fork
// failed); a non-zero exit is a result, for the caller to judge. The child gets default signal
// dispositions and an empty signal mask, whatever ours are.
Result<ProcessResult> run_process(const ProcessSpec& spec);

// `type -p NAME`: the first executable NAME in PATH; nothing when there is none.
std::optional<std::string> find_in_path(std::string_view name);

// "exited with status 3" / "was killed by signal 9", for error messages.
std::string describe_exit(int exit_status);

}  // namespace wgd::quick
