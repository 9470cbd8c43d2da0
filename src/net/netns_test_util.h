// Test helpers (library wgd_netns_testutil, built with the tests only): a throw-away network
// namespace per test, entered by the test's own thread, checked with the real `ip` tool.
//
//   auto ns = TestNetns::create("wgdnet");          // ip netns add wgdnet-<pid>-<n>; lo is up
//   ASSERT_TRUE(ns) << ns.error().message;
//   auto entry = ns->enter();                        // this thread now lives in the namespace
//   ASSERT_TRUE(entry) << entry.error().message;
//   ASSERT_TRUE(ns->ip({"link", "add", "t0", "type", "veth", "peer", "name", "t1"}));
//   auto links = ns->ip_json({"link", "show"});      // ip -j -n NAME link show, parsed
//   ...                                              // end of scope: thread returns, ns deleted
//
// Facts worth knowing:
// - A socket belongs to the namespace its thread was in when it was *created*; it stays there
//   after the thread leaves. Open netlink/UDP/TUN fds after enter() for them to be inside.
// - Processes started from a thread (run_command, system) start in that thread's namespace.
//   ip()/ip_json()/exec() name the namespace explicitly, so they work from anywhere.
// - The destructor deletes the namespace even when the test failed (ASSERT returns early, the
//   destructor still runs). A process killed outright cannot clean up; the next create() with the
//   same prefix removes namespaces whose creating process no longer exists.
// - This machine's kernel has no `dummy` link type: use veth pairs (both ends in the namespace,
//   both up, give carrier) or `ip tuntap add mode tun` (no carrier without a reader).
// - Use a prefix unique to your component so parallel test runs never touch each other's
//   namespaces (names must stay short: "<prefix>-<pid>-<n>").
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace wgd::testing {

struct CommandResult {
  int exit_status = 0;  // the exit code, or 128 + signal number if killed by a signal
  std::string out;      // standard output
  std::string err;      // standard error
};

// Runs argv[0] (looked up in PATH) with the arguments, stdin from /dev/null; no shell involved.
// Fails only if the program could not be started.
Result<CommandResult> run_command(const std::vector<std::string>& argv);
// Like run_command, but a non-zero exit is an error quoting the command and its stderr.
Result<std::string> run_checked(const std::vector<std::string>& argv);

// The calling thread inside a namespace until this object is destroyed (see TestNetns::enter).
class NetnsEntry {
 public:
  NetnsEntry(NetnsEntry&&) noexcept = default;
  NetnsEntry& operator=(NetnsEntry&&) = delete;
  ~NetnsEntry();  // back to the namespace the thread was in before

 private:
  friend class TestNetns;
  explicit NetnsEntry(UniqueFd previous) : previous_(std::move(previous)) {}
  UniqueFd previous_;
};

class TestNetns {
 public:
  // `ip netns add <prefix>-<pid>-<n>` and `ip link set lo up` inside it.
  static Result<TestNetns> create(std::string_view prefix);

  TestNetns(TestNetns&& o) noexcept : name_(std::exchange(o.name_, {})) {}
  TestNetns& operator=(TestNetns&&) = delete;
  ~TestNetns();  // ip netns del NAME

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

  // Moves the calling thread into the namespace (setns) until the returned object is destroyed.
  Result<NetnsEntry> enter() const;
  // Runs `fn` on a new thread that lives in the namespace, and waits for it.
  Result<void> run_inside(const std::function<void()>& fn) const;

  // `ip -n NAME ARGS...`: its stdout, or an error with its stderr.
  Result<std::string> ip(const std::vector<std::string>& args) const;
  // `ip -j -n NAME ARGS...` parsed; an empty answer is an empty array.
  Result<nlohmann::json> ip_json(const std::vector<std::string>& args) const;
  // `ip netns exec NAME ARGV...` (its own /sys too), whatever its exit status.
  Result<CommandResult> exec(const std::vector<std::string>& argv) const;

 private:
  explicit TestNetns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// Deletes namespaces "<prefix>-<pid>-<n>" whose process <pid> has exited (create() calls this).
void remove_stale_namespaces(std::string_view prefix);

}  // namespace wgd::testing
