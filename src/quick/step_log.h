// The "[#] what we do" lines wg-quick prints to stderr before each step. We print the command a
// person would type to do the same step by hand with ip(8), wg(8) and friends, although we do the
// step ourselves over netlink and the UAPI socket: that is what users of wg-quick read and know.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace wgd::quick {

class StepLog {
 public:
  using Sink = std::function<void(std::string_view line)>;  // one line, no newline

  // To stderr, as wg-quick.
  StepLog();
  explicit StepLog(Sink sink) : sink_(std::move(sink)) {}

  void step(std::string_view command) const;     // "[#] command"
  void notice(std::string_view message) const;   // "[!] message" (wg-quick's warnings)
  void raw(std::string_view line) const;         // anything else, as is

 private:
  Sink sink_;
};

}  // namespace wgd::quick
