// Helpers for the UAPI tests (built with the tests only): temporary directories, subprocesses,
// a raw socket client for hand-written requests, a namespace that is always deleted, and a
// canonical text form of DeviceChange/DeviceStatus so tests compare whole values.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"
#include "wg/config_change.h"

namespace wgd::uapi::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_status = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Runs argv (PATH lookup, no shell), stdin from /dev/null; killed after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A process in the background with stdout+stderr in `log_path`; SIGTERM then SIGKILL and
// reaped on destruction.
class BackgroundProcess {
 public:
  static Result<BackgroundProcess> start(const std::vector<std::string>& argv,
                                         const std::vector<std::string>& extra_env,
                                         const std::string& log_path);
  BackgroundProcess(BackgroundProcess&& o) noexcept;
  BackgroundProcess& operator=(BackgroundProcess&&) = delete;
  ~BackgroundProcess();
  pid_t pid() const { return pid_; }
  bool running();

 private:
  explicit BackgroundProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// `ip netns add NAME`, deleted on destruction. Namespaces named PREFIX<pid> left by a test
// process that died are deleted first.
class NetnsGuard {
 public:
  static Result<NetnsGuard> create(const std::string& prefix);
  NetnsGuard(NetnsGuard&& o) noexcept : name_(std::move(o.name_)) { o.name_.clear(); }
  NetnsGuard& operator=(NetnsGuard&&) = delete;
  ~NetnsGuard();
  const std::string& name() const { return name_; }
  // A UDP socket bound to port 0 of `address` inside the namespace; its port is in *port.
  Result<UniqueFd> bind_udp(const std::string& address, std::uint16_t* port) const;

 private:
  explicit NetnsGuard(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// One connection to a UAPI socket, driven by hand.
class RawConnection {
 public:
  static Result<RawConnection> open(const std::string& path);
  Result<void> send(std::string_view bytes);
  // Reads up to and including the next blank line ("\n\n"), or until EOF/timeout.
  std::string read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the server closed the connection (EOF within `timeout`).
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  explicit RawConnection(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  std::string pending_;
};

bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

// One line per field, keys in hex: equal texts mean equal values. `sorted` orders peers by key
// and allowed IPs by value, for implementations (wireguard-go) whose get order is not stable.
std::string describe(const wg::DeviceChange& change);
std::string describe(const wg::DeviceStatus& status, bool sorted = false);

std::string write_file(const std::string& path, const std::string& content);

}  // namespace wgd::uapi::testing
