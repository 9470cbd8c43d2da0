#include "crypto/init.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>

namespace wgd::crypto {

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      // Without a working RNG no key can be made safely; there is nothing sane to continue with.
      std::abort();
    }
  });
}

}  // namespace wgd::crypto
