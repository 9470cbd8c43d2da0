// The datagrams of `wgd doctor probe` and `wgd doctor listen`: one line of text, so that the
// seed's netcat recipe still works on either side (`nc -lup PORT` shows a probe as a readable
// line; `echo hi | nc -u HOST PORT` shows up in `wgd doctor listen`).
//
//   probe: "wgd-doctor-probe 1 TOKEN SEQ UDP reached this port\n"
//   reply: "wgd-doctor-reply 1 TOKEN SEQ\n"
//
// TOKEN is 16 random hex digits per run: a reply proves that *this* run's probe arrived, not some
// earlier one or another prober's. Neither line can be mistaken for WireGuard (whose messages
// start with a type byte 1..4 and three zero bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wgd::doctor {

struct ProbeMessage {
  enum class Kind : std::uint8_t { kProbe, kReply };
  Kind kind = Kind::kProbe;
  std::string token;
  std::uint32_t seq = 0;
};

std::string encode_probe_message(const ProbeMessage& message);
// nullopt for anything else (a netcat line, a WireGuard message, a truncated probe).
std::optional<ProbeMessage> decode_probe_message(std::span<const std::uint8_t> datagram);

// 16 hex digits from the system's random source.
std::string new_probe_token();

// A datagram as one line for the terminal: printable ASCII kept, the rest escaped (\n, \x01),
// cut at `max` characters with "..." after.
std::string printable_payload(std::span<const std::uint8_t> datagram, std::size_t max = 80);

}  // namespace wgd::doctor
