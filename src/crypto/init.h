#pragma once

namespace wgd::crypto {

// Initialises libsodium once; every entry point of the crypto layer calls it, so users need not.
void ensure_initialized();

}  // namespace wgd::crypto
