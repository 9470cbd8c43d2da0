#include "uapi/wg_quick_device.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "crypto/key_codec.h"
#include "uapi/showconf.h"

namespace wgd::uapi {
namespace {

std::string gai_error_text(int code, int saved_errno) {
  return code == EAI_SYSTEM ? std::strerror(saved_errno) : gai_strerror(code);
}

// glibc's permanent answers: retrying cannot change them (sourceware.org/glibc/wiki/NameResolver).
bool permanent_failure(int code) {
  return code == EAI_NONAME || code == EAI_FAIL
#ifdef EAI_NODATA
         || code == EAI_NODATA
#endif
      ;
}

}  // namespace

Result<ResolveOptions> resolve_options_from_environment() {
  ResolveOptions options;
  const char* v = std::getenv("WG_ENDPOINT_RESOLUTION_RETRIES");
  if (!v) return options;
  std::string_view s(v);
  if (s == "infinity") {
    options.retries = -1;
    return options;
  }
  char* end = nullptr;
  errno = 0;
  unsigned long n = std::strtoul(v, &end, 10);
  if (s.empty() || *end || errno || n > static_cast<unsigned long>(std::numeric_limits<int>::max()))
    return failf("Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `{}'", s);
  options.retries = static_cast<int>(n);
  return options;
}

Result<Endpoint> resolve_endpoint(std::string_view host_port, const ResolveOptions& options) {
  if (auto numeric = Endpoint::parse(host_port)) return *numeric;
  auto hp = split_host_port(host_port);
  if (!hp) return std::unexpected(hp.error());
  const std::string port = std::to_string(hp->port);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_protocol = IPPROTO_UDP;
  addrinfo* raw = nullptr;
  int retries = options.retries;
  auto delay = options.first_delay;
  while (true) {
    raw = nullptr;
    int ret = options.getaddrinfo(hp->host.c_str(), port.c_str(), &hints, &raw);
    int saved_errno = errno;
    if (ret == 0) break;
    Error err{fmt::format("{}: `{}'", gai_error_text(ret, saved_errno), host_port), 0};
    if (permanent_failure(ret) || (retries >= 0 && retries-- == 0)) return std::unexpected(err);
    if (options.on_retry) options.on_retry(err, delay);
    if (options.sleep)
      options.sleep(delay);
    else
      std::this_thread::sleep_for(delay);
    delay = std::min(options.max_delay, delay * 6 / 5);
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> resolved(raw, &freeaddrinfo);
  // Like `wg`, only the first answer counts.
  std::optional<Endpoint> e;
  if (resolved && resolved->ai_addr)
    e = Endpoint::from_sockaddr(resolved->ai_addr, resolved->ai_addrlen);
  if (!e) return failf("Neither IPv4 nor IPv6 address found: `{}'", host_port);
  return *e;
}

Result<wg::DeviceChange> to_device_change(const WgQuickConfig& config, const Resolver& resolve) {
  wg::DeviceChange change;
  const auto& itf = config.interface;
  // setconf always sets these three: what the file leaves out is reset.
  change.private_key = itf.private_key ? itf.private_key->clone() : crypto::PrivateKey();
  change.listen_port = itf.listen_port.value_or(0);
  change.fwmark = itf.fwmark.value_or(0);
  change.replace_peers = true;
  for (std::size_t i = 0; i < config.peers.size(); ++i) {
    const auto& p = config.peers[i];
    wg::PeerChange pc;
    pc.public_key = p.public_key;
    if (p.preshared_key) pc.preshared_key = p.preshared_key->clone();
    if (p.endpoint) {
      auto e = resolve(*p.endpoint);
      if (!e)
        return failf("peer {} ({}): Endpoint: {}", i + 1, crypto::key_to_base64(p.public_key),
                     e.error().message);
      pc.endpoint = *e;
    }
    pc.persistent_keepalive = p.persistent_keepalive;
    pc.replace_allowed_ips = true;
    pc.allowed_ips = p.allowed_ips;
    change.peers.push_back(std::move(pc));
  }
  return change;
}

WgQuickConfig wg_quick_from_status(const wg::DeviceStatus& status) {
  WgQuickConfig c;
  if (status.private_key && !status.private_key->is_zero())
    c.interface.private_key = status.private_key->clone();
  if (status.listen_port) c.interface.listen_port = status.listen_port;
  if (status.fwmark) c.interface.fwmark = status.fwmark;
  for (const auto& s : status.peers) {
    WgQuickPeer p;
    p.public_key = s.public_key;
    if (s.preshared_key && !s.preshared_key->is_zero()) p.preshared_key = s.preshared_key->clone();
    p.allowed_ips = s.allowed_ips;
    if (s.endpoint) {
      if (auto text = format_endpoint(*s.endpoint)) p.endpoint = *text;
    }
    if (s.persistent_keepalive) p.persistent_keepalive = s.persistent_keepalive;
    c.peers.push_back(std::move(p));
  }
  return c;
}

}  // namespace wgd::uapi
