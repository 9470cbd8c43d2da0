// The little language of the device_receive fuzz target, shared with the seed corpus writer.
//
// An input is a sequence of operations on two protocol cores, A (the honest peer) and B (the
// device under test, which also hears from an attacker). Each operation is an op byte followed
// by its operands, read with ByteReader (so a truncated program is still a program):
//
//   kRaw        source, under_load, index_patch, index_pick, restamp, run(bytes)
//               an attacker datagram to B; optionally one of B's live receiver indices patched
//               in and mac1 (and mac2, with a cookie the attacker holds) restamped
//   kMutated    pick, source, under_load, restamp, count, count x (pos u16, xor u8), resize u8
//               one of A's earlier datagrams to B with bytes changed
//   kReseal     slot, counter_mode, counter u64, source, under_load, payload_kind, run(bytes)
//               a transport message sealed with one of A's real session keys, chosen plaintext
//   kPump       (per datagram moved: fate u8) A's and B's queued datagrams delivered
//   kSendA      family, length u16, routed : A sends an IP packet (to B when routed)
//   kSendB      family, length u16         : B sends an IP packet to A
//   kTick       step u8                    : the clock advances, both devices tick
//   kReplay     pick, source, under_load   : one of A's earlier datagrams to B, unchanged
//   kReconfigure what u8, operand u8       : B's configuration changes
//
// The first byte of the input holds set-up flags (see Setup in device_receive_fuzz.cc).
#pragma once

#include <cstdint>

namespace wgd::fuzz {

enum class DeviceOp : std::uint8_t {
  kRaw,
  kMutated,
  kReseal,
  kPump,
  kSendA,
  kSendB,
  kTick,
  kReplay,
  kReconfigure,
  kCount,
};

// Sources of datagrams arriving at B.
enum class Source : std::uint8_t { kPeer, kPeerRoamed, kAttacker, kCount };

// Setup flags (first byte).
inline constexpr std::uint8_t kSetupBKnowsEndpoint = 1;
inline constexpr std::uint8_t kSetupPsk = 2;
inline constexpr std::uint8_t kSetupKeepaliveA = 4;

// kReseal payloads.
enum class Payload : std::uint8_t { kAllowedV4, kAllowedV6, kSpoofedV4, kRaw, kKeepalive, kCount };

// kReconfigure variants.
enum class Reconfigure : std::uint8_t {
  kReaddPeer,
  kAllowedIps,
  kKeepalive,
  kPsk,
  kEndpoint,
  kCount,
};

}  // namespace wgd::fuzz
