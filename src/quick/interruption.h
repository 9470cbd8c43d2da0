// Ctrl-C or a TERM in the middle of `up` must not leave half an interface behind (wg-quick traps
// INT and TERM and runs del_if). While an Interruption is alive, SIGINT, SIGTERM and SIGHUP only
// set a flag, checked between steps, so the step under way completes and the rollback runs.
#pragma once

#include <signal.h>

#include "util/error.h"

namespace wgd::quick {

class Interruption {
 public:
  Interruption();
  ~Interruption();
  Interruption(const Interruption&) = delete;
  Interruption& operator=(const Interruption&) = delete;

  // Fails with "interrupted by signal N" once a signal arrived.
  Result<void> check() const;

 private:
  struct sigaction old_int_ {}, old_term_ {}, old_hup_ {};
};

}  // namespace wgd::quick
