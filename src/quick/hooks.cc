#include "quick/hooks.h"

#include "quick/process.h"

namespace wgd::quick {

std::string expand_hook(std::string_view hook, std::string_view interface) {
  std::string out;
  out.reserve(hook.size());
  for (std::size_t i = 0; i < hook.size(); ++i) {
    if (hook[i] == '%' && i + 1 < hook.size() && hook[i + 1] == 'i') {
      out += interface;
      ++i;
    } else {
      out += hook[i];
    }
  }
  return out;
}

Result<void> run_hooks(std::string_view kind, std::span<const std::string> hooks,
                       std::string_view interface, const StepLog& log) {
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    std::string command = expand_hook(hooks[i], interface);
    log.step(command);
    ProcessSpec spec;
    spec.argv = {std::string(kHookShell), "-e", "-c", command};
    spec.set_env = {"LC_ALL=C"};
    auto r = run_process(spec);
    if (!r) return failf("{} hook {} of {}: {}", kind, i + 1, hooks.size(), r.error().message);
    if (r->exit_status != 0)
      return failf("{} hook {} of {} {}", kind, i + 1, hooks.size(),
                   describe_exit(r->exit_status));
  }
  return {};
}

}  // namespace wgd::quick
