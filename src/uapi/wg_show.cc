#include "uapi/wg_show.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "uapi/showconf.h"

namespace wgd::uapi {
namespace {

// wireguard-tools' terminal.h.
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kCyan = "\x1b[36m";

// Without colour wg prints the same text with every escape sequence filtered out; leaving them
// out in the first place gives the same bytes.
struct Paint {
  bool on;
  std::string_view operator()(std::string_view code) const { return on ? code : ""; }
};

constexpr struct {
  ShowField field;
  std::string_view name;
} kFieldNames[] = {
    {ShowField::kPublicKey, "public-key"},
    {ShowField::kPrivateKey, "private-key"},
    {ShowField::kListenPort, "listen-port"},
    {ShowField::kFwmark, "fwmark"},
    {ShowField::kPeers, "peers"},
    {ShowField::kPresharedKeys, "preshared-keys"},
    {ShowField::kEndpoints, "endpoints"},
    {ShowField::kAllowedIps, "allowed-ips"},
    {ShowField::kLatestHandshakes, "latest-handshakes"},
    {ShowField::kTransfer, "transfer"},
    {ShowField::kPersistentKeepalive, "persistent-keepalive"},
    {ShowField::kDump, "dump"},
};

std::string key_text(const crypto::PublicKey& key) {
  return crypto::key_to_base64(key);
}

// The device's public key as wg knows it: only with a (non-zero) private key.
std::optional<crypto::PublicKey> device_public_key(const wg::DeviceStatus& s) {
  if (!has_private_key(s)) return std::nullopt;
  if (s.public_key) return *s.public_key;
  return crypto::x25519_public(*s.private_key);
}

std::string maybe_public(const wg::DeviceStatus& s) {
  auto k = device_public_key(s);
  return k ? key_text(*k) : "(none)";
}

std::string maybe_private(const wg::DeviceStatus& s) {
  return has_private_key(s) ? crypto::key_to_base64(s.private_key->span()) : "(none)";
}

std::string maybe_preshared(const wg::PeerStatus& p) {
  return has_preshared_key(p) ? crypto::key_to_base64(p.preshared_key->span()) : "(none)";
}

std::string fwmark_text(std::uint32_t mark) {
  return mark ? fmt::format("0x{:x}", mark) : "off";
}

// `wg show` prints the endpoint only for an IPv4/IPv6 address; getnameinfo failures print its
// error text in place of the address.
std::string endpoint_text(const wg::PeerStatus& p) {
  return p.endpoint ? endpoint_error_text(*p.endpoint) : "(none)";
}

std::string allowed_ips_text(const wg::PeerStatus& p, std::string_view separator) {
  if (p.allowed_ips.empty()) return "(none)";
  std::string out;
  for (std::size_t i = 0; i < p.allowed_ips.size(); ++i) {
    if (i) out += separator;
    out += format_prefix(p.allowed_ips[i]);
  }
  return out;
}

bool has_handshake(const wg::PeerStatus& p) {
  return p.last_handshake_sec || p.last_handshake_nsec;
}

// wg's order for the pretty form: most recent handshake first, never-handshaked peers last, ties
// in device order (glibc's qsort is a stable merge sort for arrays this size).
std::vector<const wg::PeerStatus*> sorted_peers(const wg::DeviceStatus& s) {
  std::vector<const wg::PeerStatus*> peers;
  for (const auto& p : s.peers) peers.push_back(&p);
  std::stable_sort(peers.begin(), peers.end(), [](const auto* a, const auto* b) {
    if (has_handshake(*a) != has_handshake(*b)) return has_handshake(*a);
    if (a->last_handshake_sec != b->last_handshake_sec)
      return a->last_handshake_sec > b->last_handshake_sec;
    return a->last_handshake_nsec > b->last_handshake_nsec;
  });
  return peers;
}

std::string secret_or_hidden(std::string text, const ShowStyle& style) {
  return style.hide_keys ? "(hidden)" : text;
}

void field_lines(std::string& out, std::string_view name, const wg::DeviceStatus& s,
                 ShowField field, bool with_interface) {
  const std::string prefix = with_interface ? fmt::format("{}\t", name) : "";
  auto per_peer = [&](auto&& line) {
    for (const auto& p : s.peers) out += prefix + line(p) + "\n";
  };
  switch (field) {
    case ShowField::kPublicKey:
      out += prefix + maybe_public(s) + "\n";
      return;
    case ShowField::kPrivateKey:
      out += prefix + maybe_private(s) + "\n";
      return;
    case ShowField::kListenPort:
      out += fmt::format("{}{}\n", prefix, s.listen_port);
      return;
    case ShowField::kFwmark:
      out += prefix + fwmark_text(s.fwmark) + "\n";
      return;
    case ShowField::kPeers:
      per_peer([](const wg::PeerStatus& p) { return key_text(p.public_key); });
      return;
    case ShowField::kPresharedKeys:
      per_peer([](const wg::PeerStatus& p) {
        return fmt::format("{}\t{}", key_text(p.public_key), maybe_preshared(p));
      });
      return;
    case ShowField::kEndpoints:
      // wireguard-tools 1.0.20210914 (Debian 12) prints the "IF\t" prefix of `show all endpoints`
      // once per interface, before its first peer: a bug upstream's show.c has since fixed. We
      // print it on every line, like every other field.
      per_peer([](const wg::PeerStatus& p) {
        return fmt::format("{}\t{}", key_text(p.public_key), endpoint_text(p));
      });
      return;
    case ShowField::kAllowedIps:
      per_peer([](const wg::PeerStatus& p) {
        return fmt::format("{}\t{}", key_text(p.public_key), allowed_ips_text(p, " "));
      });
      return;
    case ShowField::kLatestHandshakes:
      per_peer([](const wg::PeerStatus& p) {
        return fmt::format("{}\t{}", key_text(p.public_key),
                           static_cast<unsigned long long>(p.last_handshake_sec));
      });
      return;
    case ShowField::kTransfer:
      per_peer([](const wg::PeerStatus& p) {
        return fmt::format("{}\t{}\t{}", key_text(p.public_key), p.rx_bytes, p.tx_bytes);
      });
      return;
    case ShowField::kPersistentKeepalive:
      per_peer([](const wg::PeerStatus& p) {
        return p.persistent_keepalive
                   ? fmt::format("{}\t{}", key_text(p.public_key), p.persistent_keepalive)
                   : fmt::format("{}\toff", key_text(p.public_key));
      });
      return;
    case ShowField::kDump:
      out += fmt::format("{}{}\t{}\t{}\t{}\n", prefix, maybe_private(s), maybe_public(s),
                         s.listen_port, fwmark_text(s.fwmark));
      per_peer([](const wg::PeerStatus& p) {
        return fmt::format(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", key_text(p.public_key), maybe_preshared(p),
            endpoint_text(p), allowed_ips_text(p, ","),
            static_cast<unsigned long long>(p.last_handshake_sec), p.rx_bytes, p.tx_bytes,
            p.persistent_keepalive ? std::to_string(p.persistent_keepalive) : std::string("off"));
      });
      return;
  }
}

}  // namespace

std::optional<ShowField> parse_show_field(std::string_view name) {
  for (const auto& f : kFieldNames)
    if (f.name == name) return f.field;
  return std::nullopt;
}

std::string_view show_field_name(ShowField field) {
  for (const auto& f : kFieldNames)
    if (f.field == field) return f.name;
  return "";
}

ShowStyle show_style_from_environment(int stdout_fd, std::int64_t now) {
  ShowStyle style;
  style.now = now;
  const char* color = std::getenv("WG_COLOR_MODE");
  if (color && std::string_view(color) == "always")
    style.color = true;
  else if (color && std::string_view(color) == "never")
    style.color = false;
  else
    style.color = isatty(stdout_fd) == 1;
  const char* hide = std::getenv("WG_HIDE_KEYS");
  style.hide_keys = !(hide && std::string_view(hide) == "never");
  return style;
}

std::string pretty_duration(std::uint64_t left, bool color) {
  Paint c{color};
  const std::uint64_t years = left / (365 * 24 * 60 * 60);
  left %= 365 * 24 * 60 * 60;
  const std::uint64_t days = left / (24 * 60 * 60);
  left %= 24 * 60 * 60;
  const std::uint64_t hours = left / (60 * 60);
  left %= 60 * 60;
  const std::uint64_t minutes = left / 60;
  const std::uint64_t seconds = left % 60;
  std::string out;
  auto part = [&](std::uint64_t n, std::string_view unit) {
    if (!n) return;
    out += fmt::format("{}{} {}{}{}{}", out.empty() ? "" : ", ", n, c(kCyan), unit,
                       n == 1 ? "" : "s", c(kReset));
  };
  part(years, "year");
  part(days, "day");
  part(hours, "hour");
  part(minutes, "minute");
  part(seconds, "second");
  return out;
}

std::string pretty_ago(std::int64_t then, std::int64_t now, bool color) {
  Paint c{color};
  if (now == then) return "Now";
  if (now < then)
    return fmt::format("({}System clock wound backward; connection problems may ensue.{})", c(kRed),
                       c(kReset));
  return pretty_duration(static_cast<std::uint64_t>(now - then), color) + " ago";
}

std::string pretty_bytes(std::uint64_t b, bool color) {
  Paint c{color};
  constexpr std::uint64_t k = 1024;
  // printf("%.2f"), as wg formats them: glibc rounds the exact binary value.
  auto scaled = [&](double v, std::string_view unit) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return fmt::format("{} {}{}{}", buf, c(kCyan), unit, c(kReset));
  };
  if (b < k) return fmt::format("{} {}B{}", static_cast<unsigned>(b), c(kCyan), c(kReset));
  if (b < k * k) return scaled(static_cast<double>(b) / 1024, "KiB");
  if (b < k * k * k) return scaled(static_cast<double>(b) / (1024 * 1024), "MiB");
  if (b < k * k * k * k) return scaled(static_cast<double>(b) / (1024 * 1024 * 1024), "GiB");
  return scaled(static_cast<double>(b) / (1024 * 1024 * 1024) / 1024, "TiB");
}

std::string render_show_pretty(std::string_view name, const wg::DeviceStatus& s,
                               const ShowStyle& style) {
  Paint c{style.color};
  std::string out;
  out += c(kReset);
  out += fmt::format("{}{}interface{}: {}{}{}\n", c(kGreen), c(kBold), c(kReset), c(kGreen), name,
                     c(kReset));
  auto item = [&](std::string_view label, std::string_view value) {
    out += fmt::format("  {}{}{}: {}\n", c(kBold), label, c(kReset), value);
  };
  if (auto pub = device_public_key(s)) item("public key", key_text(*pub));
  if (has_private_key(s))
    item("private key", secret_or_hidden(crypto::key_to_base64(s.private_key->span()), style));
  if (s.listen_port) item("listening port", std::to_string(s.listen_port));
  if (s.fwmark) item("fwmark", fmt::format("0x{:x}", s.fwmark));

  auto peers = sorted_peers(s);
  if (!peers.empty()) out += "\n";
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const auto& p = *peers[i];
    out += fmt::format("{}{}peer{}: {}{}{}\n", c(kYellow), c(kBold), c(kReset), c(kYellow),
                       key_text(p.public_key), c(kReset));
    if (has_preshared_key(p))
      item("preshared key",
           secret_or_hidden(crypto::key_to_base64(p.preshared_key->span()), style));
    if (p.endpoint) item("endpoint", endpoint_text(p));
    std::string ips;
    for (std::size_t j = 0; j < p.allowed_ips.size(); ++j) {
      const auto& a = p.allowed_ips[j];
      ips += fmt::format("{}{}{}/{}{}", j ? ", " : "", a.address.to_string(), c(kCyan), c(kReset),
                         a.length);
    }
    item("allowed ips", ips.empty() ? "(none)" : ips);
    if (p.last_handshake_sec)
      item("latest handshake", pretty_ago(p.last_handshake_sec, style.now, style.color));
    if (p.rx_bytes || p.tx_bytes)
      item("transfer", fmt::format("{} received, {} sent", pretty_bytes(p.rx_bytes, style.color),
                                   pretty_bytes(p.tx_bytes, style.color)));
    if (p.persistent_keepalive)
      item("persistent keepalive", "every " + pretty_duration(p.persistent_keepalive, style.color));
    if (i + 1 < peers.size()) out += "\n";
  }
  return out;
}

std::string render_show_field(std::string_view name, const wg::DeviceStatus& status,
                              ShowField field, bool with_interface) {
  std::string out;
  field_lines(out, name, status, field, with_interface);
  return out;
}

std::string render_show_all_pretty(std::span<const NamedDevice> devices, const ShowStyle& style) {
  std::string out;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    out += render_show_pretty(devices[i].name, *devices[i].status, style);
    if (i + 1 < devices.size()) out += "\n";
  }
  return out;
}

std::string render_show_all_field(std::span<const NamedDevice> devices, ShowField field) {
  std::string out;
  for (const auto& d : devices) field_lines(out, d.name, *d.status, field, true);
  return out;
}

std::string render_show_interfaces(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += names[i];
    out += i + 1 < names.size() ? ' ' : '\n';
  }
  return out;
}

Result<ShowRequest> parse_show_args(std::span<const std::string_view> args) {
  ShowRequest req;
  auto field_of = [&](std::string_view word) -> Result<void> {
    auto f = parse_show_field(word);
    if (!f) return failf("Invalid parameter: `{}'", word);
    req.field = f;
    return {};
  };
  if (args.size() > 2) return fail("too many arguments");
  if (args.empty() || args[0] == "all") {
    req.target = ShowRequest::Target::kAll;
    if (args.size() == 2)
      if (auto r = field_of(args[1]); !r) return std::unexpected(r.error());
    return req;
  }
  if (args[0] == "interfaces") {
    if (args.size() > 1) return fail("`interfaces' takes no further argument");
    req.target = ShowRequest::Target::kInterfaces;
    return req;
  }
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")) {
    req.target = ShowRequest::Target::kHelp;
    return req;
  }
  req.target = ShowRequest::Target::kOne;
  req.interface = std::string(args[0]);
  if (args.size() == 2)
    if (auto r = field_of(args[1]); !r) return std::unexpected(r.error());
  return req;
}

std::string show_usage(std::string_view program, std::string_view command) {
  return fmt::format(
      "Usage: {} {} {{ <interface> | all | interfaces }} [public-key | private-key | listen-port | "
      "fwmark | peers | preshared-keys | endpoints | allowed-ips | latest-handshakes | transfer | "
      "persistent-keepalive | dump]\n",
      program, command);
}

}  // namespace wgd::uapi
