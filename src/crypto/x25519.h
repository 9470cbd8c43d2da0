// X25519 (RFC 7748): the DH over libsodium, public keys from private ones over libdecaf.
#pragma once

#include <optional>

#include "crypto/types.h"

namespace wgd::crypto {

// A fresh private key, clamped as RFC 7748 section 5 describes (as `wg genkey` does).
PrivateKey x25519_generate();
// Clamps a private key in place (bits 0-2 and 255 cleared, bit 254 set).
void x25519_clamp(PrivateKey& key);
PublicKey x25519_public(const PrivateKey& key);
// The shared secret, or nothing when the peer's point yields the all-zero output
// (small-order points), which the protocol must treat as a failed handshake.
std::optional<Secret<kKeySize>> x25519(const PrivateKey& ours, const PublicKey& theirs);

}  // namespace wgd::crypto
