#include "quick/interruption.h"

#include <atomic>
#include <cerrno>

namespace wgd::quick {
namespace {

std::atomic<int> g_signal{0};

void on_signal(int sig) {
  g_signal.store(sig, std::memory_order_relaxed);
}

}  // namespace

Interruption::Interruption() {
  g_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  // No SA_RESTART: a blocking wait returns EINTR and our loops retry it themselves.
  ::sigaction(SIGINT, &sa, &old_int_);
  ::sigaction(SIGTERM, &sa, &old_term_);
  ::sigaction(SIGHUP, &sa, &old_hup_);
}

Interruption::~Interruption() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGHUP, &old_hup_, nullptr);
}

Result<void> Interruption::check() const {
  if (int sig = g_signal.load(std::memory_order_relaxed))
    return failf("interrupted by signal {}", sig);
  return {};
}

}  // namespace wgd::quick
