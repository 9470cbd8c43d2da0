#include "uapi/text_formats_test_support.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/key_codec.h"

namespace wgd::uapi::test {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto i = s.find(sep);
    out.push_back(s.substr(0, i));
    if (i == std::string_view::npos) return out;
    s.remove_prefix(i + 1);
  }
}

template <class T>
Result<T> number(std::string_view s, std::string_view what) {
  T v{};
  int base = 10;
  if (s.starts_with("0x")) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    return failf("dump: bad {} '{}'", what, s);
  return v;
}

}  // namespace

crypto::PublicKey public_key(std::string_view base64) {
  auto k = crypto::key_from_base64(base64);
  if (!k) {
    std::fprintf(stderr, "test key is not base64: %.*s\n", static_cast<int>(base64.size()),
                 base64.data());
    std::abort();
  }
  return *k;
}

crypto::PrivateKey secret_key(std::string_view base64) {
  auto k = crypto::secret_key_from_base64(base64);
  if (!k) {
    std::fprintf(stderr, "test secret is not base64\n");
    std::abort();
  }
  return std::move(*k);
}

Result<wg::DeviceStatus> parse_show_dump(std::string_view text) {
  wg::DeviceStatus status;
  auto lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return fail("dump: empty");
  auto head = split(lines[0], '\t');
  if (head.size() != 4) return failf("dump: interface line has {} fields", head.size());
  if (head[0] != "(none)") {
    auto k = crypto::secret_key_from_base64(head[0]);
    if (!k) return fail("dump: bad private key");
    status.private_key = std::move(*k);
  }
  if (head[1] != "(none)") {
    auto k = crypto::key_from_base64(head[1]);
    if (!k) return fail("dump: bad public key");
    status.public_key = *k;
  }
  auto port = number<std::uint16_t>(head[2], "port");
  if (!port) return std::unexpected(port.error());
  status.listen_port = *port;
  if (head[3] != "off") {
    auto mark = number<std::uint32_t>(head[3], "fwmark");
    if (!mark) return std::unexpected(mark.error());
    status.fwmark = *mark;
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto f = split(lines[i], '\t');
    if (f.size() != 8) return failf("dump: peer line has {} fields", f.size());
    wg::PeerStatus p;
    auto pub = crypto::key_from_base64(f[0]);
    if (!pub) return fail("dump: bad peer key");
    p.public_key = *pub;
    if (f[1] != "(none)") {
      auto k = crypto::secret_key_from_base64(f[1]);
      if (!k) return fail("dump: bad preshared key");
      p.preshared_key = std::move(*k);
    }
    if (f[2] != "(none)") {
      auto e = Endpoint::parse(f[2]);
      if (!e) return failf("dump: bad endpoint '{}'", f[2]);
      p.endpoint = *e;
    }
    if (f[3] != "(none)") {
      for (auto a : split(f[3], ',')) {
        auto prefix = IpPrefix::parse(a);
        if (!prefix) return failf("dump: bad allowed ip '{}'", a);
        p.allowed_ips.push_back(*prefix);
      }
    }
    auto hs = number<std::int64_t>(f[4], "handshake");
    auto rx = number<std::uint64_t>(f[5], "rx");
    auto tx = number<std::uint64_t>(f[6], "tx");
    if (!hs || !rx || !tx) return fail("dump: bad counters");
    p.last_handshake_sec = *hs;
    p.rx_bytes = *rx;
    p.tx_bytes = *tx;
    if (f[7] != "off") {
      auto ka = number<std::uint16_t>(f[7], "keepalive");
      if (!ka) return std::unexpected(ka.error());
      p.persistent_keepalive = *ka;
    }
    status.peers.push_back(std::move(p));
  }
  return status;
}

}  // namespace wgd::uapi::test
