#include "serve/fleet/registry_source.h"

#include <httplib.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "serve/fleet/registry_document.h"

namespace wgd::serve::fleet {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return failf("read {}: {}", path, std::strerror(errno));
  std::string out;
  char buf[65536];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(f.gcount()));
    if (out.size() > kMaxRegistryBytes) return failf("read {}: larger than {} bytes", path, kMaxRegistryBytes);
  }
  if (f.bad()) return failf("read {}: {}", path, std::strerror(errno));
  return out;
}

// The token for this poll: WGD_FLEET_TOKEN, or the file's contents read now (so a rotated
// token is picked up without a restart). Errors never contain it.
Result<std::optional<std::string>> current_token(const FleetSettings& s) {
  if (s.token) return std::optional<std::string>(*s.token);
  if (s.token_file.empty()) return std::optional<std::string>{};
  auto text = read_file(s.token_file);
  if (!text) return failf("WGD_FLEET_TOKEN_FILE: {}", text.error().message);
  const std::string_view t = trim(*text);
  if (t.empty()) return failf("WGD_FLEET_TOKEN_FILE: {} is empty", s.token_file);
  for (char c : t)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return failf("WGD_FLEET_TOKEN_FILE: {} holds control characters or several lines", s.token_file);
  return std::optional<std::string>(std::string(t));
}

std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "cannot connect";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "reading the answer failed (or timed out)";
    case httplib::Error::Write: return "sending the request failed";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "cannot load the CA certificates (WGD_FLEET_CA_FILE)";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate is not trusted";
    case httplib::Error::Compression: return "cannot decompress the answer";
    default: return httplib::to_string(e);
  }
}

}  // namespace

Result<std::string> fetch_registry(const FleetSettings& s, const FetchOptions& options) {
  if (!s.registry_is_url()) return read_file(s.registry_path());

  // "https://host:port/path?query" -> the client's "https://host:port" and "/path?query".
  const std::string& url = s.registry;
  const auto scheme_end = url.find("://") + 3;
  const auto path_start = url.find('/', scheme_end);
  const std::string origin = url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  const std::string what = "GET " + url;

  auto token = current_token(s);
  if (!token) return std::unexpected(token.error());
  httplib::Headers headers{{"Accept", "application/json"}};
  if (*token) {
    if (s.token_header == "Authorization")
      headers.emplace("Authorization", "Bearer " + **token);
    else
      headers.emplace(s.token_header, **token);
  }

  httplib::Client client(origin);
  if (!client.is_valid()) return failf("{}: not a usable URL", what);
  client.set_connection_timeout(options.connect_timeout);
  client.set_read_timeout(options.read_timeout);
  client.set_follow_location(false);  // a redirect must not carry the token elsewhere
  client.set_keep_alive(false);
  if (!s.ca_file.empty()) client.set_ca_cert_path(s.ca_file);

  int status = 0;
  bool too_large = false;
  std::string body;
  auto result = client.Get(
      path, headers,
      [&](const httplib::Response& r) {
        status = r.status;
        return r.status == 200;  // anything else: stop before reading a body we do not want
      },
      [&](const char* data, std::size_t n) {
        if (body.size() + n > kMaxRegistryBytes) {
          too_large = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
  if (too_large) return failf("{}: answer larger than {} bytes", what, kMaxRegistryBytes);
  if (status != 0 && status != 200) return failf("{}: HTTP {}", what, status);
  if (!result) return failf("{}: {}", what, describe(result.error()));
  return body;
}

}  // namespace wgd::serve::fleet
