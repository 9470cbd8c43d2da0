#include "uapi/uapi_protocol.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <span>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "uapi/uapi_secret_text.h"

namespace wgd::uapi {
namespace {

Error invalid(std::string message) { return Error{std::move(message), EINVAL}; }
Error malformed(std::string message) { return Error{std::move(message), EPROTO}; }

// A key name goes into an error only when it cannot be a key value or other secret by mistake:
// lowercase letters and underscores, as every protocol key is (hex keys have digits).
std::string describe_key(std::string_view key) {
  bool printable = !key.empty() && key.size() <= 40 &&
                   std::all_of(key.begin(), key.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || c == '_';
                   });
  return printable ? fmt::format("\"{}\"", key) : std::string("(name not shown)");
}

// Decimal digits only, like Go's strconv.ParseUint(v, 10, bits): no sign, no space, no "0x".
template <class T>
std::optional<T> parse_decimal(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "address/length" with the length in plain decimal (no sign, no leading zero), as
// netip.ParsePrefix requires; unlike IpPrefix::parse, a bare address is not a prefix here.
std::optional<IpPrefix> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || (bits.size() > 1 && bits.front() == '0') ||
      !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return IpPrefix::parse(text);
}

Result<void> expect_true(std::string_view key, std::string_view value) {
  if (value != "true") return std::unexpected(invalid(fmt::format("{}: the only accepted value is \"true\"", key)));
  return {};
}

Result<crypto::PublicKey> parse_public_key(std::string_view key, std::string_view value) {
  auto k = crypto::key_from_hex(value);
  if (!k) return std::unexpected(invalid(fmt::format("{}: not a key of 64 hex digits", key)));
  return *k;
}

Result<crypto::PrivateKey> parse_secret_key(std::string_view key, std::string_view value) {
  auto k = crypto::secret_key_from_hex(value);
  if (!k) return std::unexpected(invalid(fmt::format("{}: not a key of 64 hex digits", key)));
  return std::move(*k);
}

template <class T>
Result<T> parse_number(std::string_view key, std::string_view value) {
  auto n = parse_decimal<T>(value);
  if (!n)
    return std::unexpected(invalid(fmt::format("{}: not a decimal number from 0 to {}", key,
                                               std::numeric_limits<T>::max())));
  return *n;
}

Result<void> apply_interface_key(wg::DeviceChange& change, std::string_view key,
                                 std::string_view value) {
  if (key == "private_key") {
    auto k = parse_secret_key(key, value);
    if (!k) return std::unexpected(k.error());
    change.private_key = std::move(*k);
  } else if (key == "listen_port") {
    auto n = parse_number<std::uint16_t>(key, value);
    if (!n) return std::unexpected(n.error());
    change.listen_port = *n;
  } else if (key == "fwmark") {
    auto n = parse_number<std::uint32_t>(key, value);
    if (!n) return std::unexpected(n.error());
    change.fwmark = *n;
  } else if (key == "replace_peers") {
    if (auto ok = expect_true(key, value); !ok) return ok;
    change.replace_peers = true;
  } else if (key == "remove" || key == "update_only" || key == "preshared_key" ||
             key == "endpoint" || key == "persistent_keepalive_interval" ||
             key == "replace_allowed_ips" || key == "allowed_ip" || key == "protocol_version") {
    return std::unexpected(
        invalid(fmt::format("{} is a peer key; a public_key line must come before it", key)));
  } else {
    return std::unexpected(invalid(fmt::format("unknown interface key {}", describe_key(key))));
  }
  return {};
}

Result<void> apply_peer_key(wg::PeerChange& peer, std::string_view key, std::string_view value) {
  if (key == "remove") {
    if (auto ok = expect_true(key, value); !ok) return ok;
    peer.remove = true;
  } else if (key == "update_only") {
    if (auto ok = expect_true(key, value); !ok) return ok;
    peer.update_only = true;
  } else if (key == "preshared_key") {
    auto k = parse_secret_key(key, value);
    if (!k) return std::unexpected(k.error());
    peer.preshared_key = std::move(*k);
  } else if (key == "endpoint") {
    auto e = Endpoint::parse(value);
    if (!e)
      return std::unexpected(invalid(
          "endpoint: not a numeric IPv4:port or [IPv6]:port (port 0 to 65535)"));
    peer.endpoint = *e;
  } else if (key == "persistent_keepalive_interval") {
    auto n = parse_number<std::uint16_t>(key, value);
    if (!n) return std::unexpected(n.error());
    peer.persistent_keepalive = *n;
  } else if (key == "replace_allowed_ips") {
    if (auto ok = expect_true(key, value); !ok) return ok;
    // Applied in order, the lines before this one would be added and then dropped.
    peer.replace_allowed_ips = true;
    peer.allowed_ips.clear();
  } else if (key == "allowed_ip") {
    auto p = parse_cidr(value);
    if (!p)
      return std::unexpected(invalid(
          "allowed_ip: not an IPv4 or IPv6 address/prefix-length (CIDR) in range"));
    peer.allowed_ips.push_back(*p);
  } else if (key == "protocol_version") {
    if (value != "1")
      return std::unexpected(invalid("protocol_version: only version 1 exists"));
  } else if (key == "private_key" || key == "listen_port" || key == "fwmark" ||
             key == "replace_peers") {
    return std::unexpected(invalid(fmt::format(
        "{} is an interface key; it must come before the first public_key", key)));
  } else {
    return std::unexpected(invalid(fmt::format("unknown peer key {}", describe_key(key))));
  }
  return {};
}

// Splits `text` into lines on '\n'; calls fn(line_number, line) until it returns false or fails.
// Returns the offset just past the last line handed out.
template <class Fn>
Result<std::size_t> for_each_line(std::string_view text, Fn&& fn) {
  std::size_t pos = 0;
  for (std::size_t line_no = 1; pos < text.size(); ++line_no) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    Result<bool> go_on = fn(line_no, line);
    if (!go_on) return std::unexpected(go_on.error().context(fmt::format("line {}", line_no)));
    if (!*go_on) break;
  }
  return pos;
}

void append_line(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += '=';
  out += value;
  out += '\n';
}

void append_key(std::string& out, std::string_view key, std::span<const std::uint8_t, 32> bytes) {
  std::string hex = crypto::key_to_hex(bytes);
  append_line(out, key, hex);
  wipe(hex);
}

}  // namespace

Result<wg::DeviceChange> parse_set(std::string_view body) {
  wg::DeviceChange change;
  bool blank_seen = false;
  auto parsed = for_each_line(body, [&](std::size_t, std::string_view line) -> Result<bool> {
    if (blank_seen)
      return std::unexpected(malformed("text after the blank line that ends the request"));
    if (line.empty()) {
      blank_seen = true;
      return true;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return std::unexpected(malformed("expected key=value"));
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    if (key == "public_key") {
      auto k = parse_public_key(key, value);
      if (!k) return std::unexpected(k.error());
      change.peers.emplace_back().public_key = *k;
      return true;
    }
    Result<void> applied = change.peers.empty() ? apply_interface_key(change, key, value)
                                                : apply_peer_key(change.peers.back(), key, value);
    if (!applied) return std::unexpected(applied.error());
    return true;
  });
  if (!parsed) return std::unexpected(parsed.error());
  return change;
}

std::string render_set(const wg::DeviceChange& change) {
  std::string out;
  out.reserve(128 + change.peers.size() * 256);
  if (change.private_key) append_key(out, "private_key", change.private_key->span());
  if (change.listen_port) append_line(out, "listen_port", std::to_string(*change.listen_port));
  if (change.fwmark) append_line(out, "fwmark", std::to_string(*change.fwmark));
  if (change.replace_peers) append_line(out, "replace_peers", "true");
  for (const wg::PeerChange& peer : change.peers) {
    append_key(out, "public_key", peer.public_key);
    if (peer.remove) {
      append_line(out, "remove", "true");
      continue;
    }
    if (peer.update_only) append_line(out, "update_only", "true");
    if (peer.preshared_key) append_key(out, "preshared_key", peer.preshared_key->span());
    if (peer.endpoint) append_line(out, "endpoint", peer.endpoint->to_string());
    if (peer.persistent_keepalive)
      append_line(out, "persistent_keepalive_interval", std::to_string(*peer.persistent_keepalive));
    if (peer.replace_allowed_ips) append_line(out, "replace_allowed_ips", "true");
    for (const IpPrefix& p : peer.allowed_ips) append_line(out, "allowed_ip", p.to_string());
  }
  return out;
}

std::string render_get(const wg::DeviceStatus& status) {
  std::string out;
  out.reserve(128 + status.peers.size() * 384);
  if (status.private_key && !status.private_key->is_zero())
    append_key(out, "private_key", status.private_key->span());
  if (status.listen_port) append_line(out, "listen_port", std::to_string(status.listen_port));
  if (status.fwmark) append_line(out, "fwmark", std::to_string(status.fwmark));
  for (const wg::PeerStatus& peer : status.peers) {
    append_key(out, "public_key", peer.public_key);
    // Always present, all zeros when there is none: wg(8) reads zeros as "no preshared key".
    if (peer.preshared_key) {
      append_key(out, "preshared_key", peer.preshared_key->span());
    } else {
      append_line(out, "preshared_key", std::string(64, '0'));
    }
    append_line(out, "protocol_version", std::to_string(peer.protocol_version));
    if (peer.endpoint) append_line(out, "endpoint", peer.endpoint->to_string());
    append_line(out, "last_handshake_time_sec", std::to_string(peer.last_handshake_sec));
    append_line(out, "last_handshake_time_nsec", std::to_string(peer.last_handshake_nsec));
    append_line(out, "tx_bytes", std::to_string(peer.tx_bytes));
    append_line(out, "rx_bytes", std::to_string(peer.rx_bytes));
    append_line(out, "persistent_keepalive_interval", std::to_string(peer.persistent_keepalive));
    for (const IpPrefix& p : peer.allowed_ips) append_line(out, "allowed_ip", p.to_string());
  }
  out += format_errno_line(0);
  return out;
}

Result<wg::DeviceStatus> parse_get(std::string_view reply) {
  wg::DeviceStatus status;
  std::optional<int> reported_errno;
  bool ended = false;
  auto bad = [](std::string_view key) {
    return std::unexpected(malformed(fmt::format("{}: malformed value", key)));
  };
  auto parsed = for_each_line(reply, [&](std::size_t, std::string_view line) -> Result<bool> {
    if (ended) return std::unexpected(malformed("text after the blank line that ends the reply"));
    if (reported_errno) {
      if (!line.empty()) return std::unexpected(malformed("text after the errno line"));
      ended = true;
      return true;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return std::unexpected(malformed("expected key=value"));
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    wg::PeerStatus* peer = status.peers.empty() ? nullptr : &status.peers.back();

    if (key == "errno") {
      bool negative = !value.empty() && value.front() == '-';
      auto n = parse_decimal<int>(negative ? value.substr(1) : value);
      if (!n) return bad(key);
      reported_errno = *n;
    } else if (key == "public_key") {
      auto k = crypto::key_from_hex(value);
      if (!k) return bad(key);
      status.peers.emplace_back().public_key = *k;
    } else if (!peer && key == "private_key") {
      auto k = crypto::secret_key_from_hex(value);
      if (!k) return bad(key);
      if (!k->is_zero()) {
        status.public_key = crypto::x25519_public(*k);
        status.private_key = std::move(*k);
      }
    } else if (!peer && key == "listen_port") {
      auto n = parse_decimal<std::uint16_t>(value);
      if (!n) return bad(key);
      status.listen_port = *n;
    } else if (!peer && key == "fwmark") {
      auto n = parse_decimal<std::uint32_t>(value);
      if (!n) return bad(key);
      status.fwmark = *n;
    } else if (peer && key == "preshared_key") {
      auto k = crypto::secret_key_from_hex(value);
      if (!k) return bad(key);
      if (k->is_zero()) {
        peer->preshared_key.reset();
      } else {
        peer->preshared_key = std::move(*k);
      }
    } else if (peer && key == "protocol_version") {
      auto n = parse_decimal<int>(value);
      if (!n) return bad(key);
      peer->protocol_version = *n;
    } else if (peer && key == "endpoint") {
      auto e = Endpoint::parse(value);
      if (!e) return bad(key);
      peer->endpoint = *e;
    } else if (peer && key == "last_handshake_time_sec") {
      auto n = parse_decimal<std::int64_t>(value);
      if (!n) return bad(key);
      peer->last_handshake_sec = *n;
    } else if (peer && key == "last_handshake_time_nsec") {
      auto n = parse_decimal<std::int64_t>(value);
      if (!n) return bad(key);
      peer->last_handshake_nsec = *n;
    } else if (peer && key == "tx_bytes") {
      auto n = parse_decimal<std::uint64_t>(value);
      if (!n) return bad(key);
      peer->tx_bytes = *n;
    } else if (peer && key == "rx_bytes") {
      auto n = parse_decimal<std::uint64_t>(value);
      if (!n) return bad(key);
      peer->rx_bytes = *n;
    } else if (peer && key == "persistent_keepalive_interval") {
      auto n = parse_decimal<std::uint16_t>(value);
      if (!n) return bad(key);
      peer->persistent_keepalive = *n;
    } else if (peer && key == "allowed_ip") {
      auto p = parse_cidr(value);
      if (!p) return bad(key);
      peer->allowed_ips.push_back(*p);
    }
    // Anything else is a key this reader does not know (a newer or extended implementation's);
    // wg(8) skips those too.
    return true;
  });
  if (!parsed) return std::unexpected(parsed.error());
  if (!reported_errno) return fail("reply ends without an errno line", EPROTO);
  if (*reported_errno != 0) {
    int code = *reported_errno;
    return fail(fmt::format("the interface answered errno {} ({})", code, std::strerror(code)),
                code);
  }
  return status;
}

std::string format_errno_line(int code) {
  return fmt::format("errno={}\n\n", code == 0 ? 0 : -std::abs(code));
}

}  // namespace wgd::uapi
