// Sizes and key types shared by the crypto layer and the protocol core.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "crypto/secret.h"

namespace wgd::crypto {

inline constexpr std::size_t kKeySize = 32;        // X25519 keys, symmetric keys, hashes
inline constexpr std::size_t kHashSize = 32;       // BLAKE2s-256
inline constexpr std::size_t kMacSize = 16;        // keyed BLAKE2s-128 (mac1, mac2, cookies)
inline constexpr std::size_t kAeadTagSize = 16;    // Poly1305
inline constexpr std::size_t kAeadNonceSize = 12;  // ChaCha20-Poly1305 (RFC 8439)
inline constexpr std::size_t kXAeadNonceSize = 24;  // XChaCha20-Poly1305

using PublicKey = std::array<std::uint8_t, kKeySize>;
using Hash = std::array<std::uint8_t, kHashSize>;
using Mac = std::array<std::uint8_t, kMacSize>;
using PrivateKey = Secret<kKeySize>;
using SymmetricKey = Secret<kKeySize>;
using PresharedKey = Secret<kKeySize>;

}  // namespace wgd::crypto
