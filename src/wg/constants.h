// Every protocol constant of WireGuard in one place (as the kernel's messages.h), plus the
// timer settings, which tests may shorten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wg/clock.h"

namespace wgd::wg {

inline constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
inline constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
inline constexpr std::string_view kLabelMac1 = "mac1----";
inline constexpr std::string_view kLabelCookie = "cookie--";

// Message types: the first four bytes, little-endian, with the three reserved bytes zero.
inline constexpr std::uint32_t kMessageInitiation = 1;
inline constexpr std::uint32_t kMessageResponse = 2;
inline constexpr std::uint32_t kMessageCookieReply = 3;
inline constexpr std::uint32_t kMessageTransport = 4;

inline constexpr std::size_t kInitiationSize = 148;
inline constexpr std::size_t kResponseSize = 92;
inline constexpr std::size_t kCookieReplySize = 64;
inline constexpr std::size_t kTransportHeaderSize = 16;  // type, receiver index, counter
inline constexpr std::size_t kTransportMinSize = kTransportHeaderSize + 16;  // header + tag
inline constexpr std::size_t kPaddingMultiple = 16;
inline constexpr std::size_t kTimestampSize = 12;  // TAI64N

inline constexpr std::uint64_t kRekeyAfterMessages = 1ULL << 60;
inline constexpr std::uint64_t kRejectAfterMessages = ~0ULL - (1ULL << 13);  // 2^64 - 2^13 - 1
inline constexpr int kInitiationsPerSecond = 50;
inline constexpr std::size_t kMaxStagedPackets = 128;
inline constexpr Nanos kCookieSecretMaxAge = 120 * kSecond;
inline constexpr Nanos kCookieSecretLatency = 5 * kSecond;

// The timer constants of the paper (section 6). Kept in a struct so a test-only setting can
// shorten them; production code always uses the defaults.
struct TimerSettings {
  Nanos rekey_after_time = 120 * kSecond;
  Nanos reject_after_time = 180 * kSecond;
  Nanos rekey_attempt_time = 90 * kSecond;
  Nanos rekey_timeout = 5 * kSecond;
  Nanos keepalive_timeout = 10 * kSecond;
  Nanos rekey_timeout_jitter_max = kSecond / 3;
  std::uint64_t rekey_after_messages = kRekeyAfterMessages;
  std::uint64_t reject_after_messages = kRejectAfterMessages;

  int max_timer_handshakes() const {
    return static_cast<int>(rekey_attempt_time / rekey_timeout);
  }
  // Divides every duration by `factor` (>= 1): the test-only "short timers" setting.
  TimerSettings scaled_down(int factor) const;
};

inline TimerSettings TimerSettings::scaled_down(int factor) const {
  TimerSettings t = *this;
  for (Nanos* n : {&t.rekey_after_time, &t.reject_after_time, &t.rekey_attempt_time,
                   &t.rekey_timeout, &t.keepalive_timeout, &t.rekey_timeout_jitter_max})
    *n /= factor;
  return t;
}

}  // namespace wgd::wg
