#include "wg/rng.h"

#include "crypto/random.h"

namespace wgd::wg {

void SystemRng::fill(MutableByteSpan out) { crypto::random_bytes(out); }

}  // namespace wgd::wg
