#include "doctor/probe_protocol.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <vector>

#include "crypto/random.h"

namespace wgd::doctor {
namespace {

constexpr std::string_view kProbeWord = "wgd-doctor-probe";
constexpr std::string_view kReplyWord = "wgd-doctor-reply";
constexpr std::string_view kVersion = "1";
constexpr std::size_t kTokenLength = 16;
constexpr std::size_t kMaxMessage = 200;  // longer datagrams are not ours

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool is_token(std::string_view t) {
  if (t.size() != kTokenLength) return false;
  for (char c : t)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string encode_probe_message(const ProbeMessage& m) {
  if (m.kind == ProbeMessage::Kind::kReply)
    return fmt::format("{} {} {} {}\n", kReplyWord, kVersion, m.token, m.seq);
  return fmt::format("{} {} {} {} UDP reached this port\n", kProbeWord, kVersion, m.token, m.seq);
}

std::optional<ProbeMessage> decode_probe_message(std::span<const std::uint8_t> datagram) {
  if (datagram.empty() || datagram.size() > kMaxMessage) return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>(datagram.data()), datagram.size());
  if (!text.ends_with('\n')) return std::nullopt;
  text.remove_suffix(1);
  auto w = words(text);
  if (w.size() < 4 || w[1] != kVersion || !is_token(w[2])) return std::nullopt;
  ProbeMessage m;
  if (w[0] == kProbeWord)
    m.kind = ProbeMessage::Kind::kProbe;
  else if (w[0] == kReplyWord && w.size() == 4)
    m.kind = ProbeMessage::Kind::kReply;
  else
    return std::nullopt;
  m.token = std::string(w[2]);
  auto [p, ec] = std::from_chars(w[3].data(), w[3].data() + w[3].size(), m.seq);
  if (ec != std::errc() || p != w[3].data() + w[3].size()) return std::nullopt;
  return m;
}

std::string new_probe_token() {
  std::array<std::uint8_t, kTokenLength / 2> bytes{};
  crypto::random_bytes(bytes);
  std::string out;
  for (auto b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::string printable_payload(std::span<const std::uint8_t> datagram, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < datagram.size(); ++i) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const std::uint8_t c = datagram[i];
    if (c == '\n')
      out += "\\n";
    else if (c == '\\')
      out += "\\\\";
    else if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

}  // namespace wgd::doctor
