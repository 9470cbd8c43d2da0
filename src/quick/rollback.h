// "Nothing is half brought up": every step of `up` that changed the system registers how to undo
// it; on failure they run newest first (wg-quick's `trap del_if EXIT`). Undo steps report their
// own failures as warnings and never stop the others.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "quick/step_log.h"
#include "util/error.h"

namespace wgd::quick {

class Rollback {
 public:
  explicit Rollback(const StepLog& log) : log_(log) {}
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  ~Rollback() { run(); }

  void add(std::string what, std::function<Result<void>()> undo) {
    steps_.push_back({std::move(what), std::move(undo)});
  }
  // Success: keep everything.
  void commit() { steps_.clear(); }
  // Failure: undo, newest first. Safe to call more than once.
  void run() {
    while (!steps_.empty()) {
      auto step = std::move(steps_.back());
      steps_.pop_back();
      if (auto r = step.undo(); !r)
        log_.raw(fmt::format("Warning: could not undo {}: {}", step.what, r.error().message));
    }
  }

 private:
  struct Step {
    std::string what;
    std::function<Result<void>()> undo;
  };
  const StepLog& log_;
  std::vector<Step> steps_;
};

}  // namespace wgd::quick
