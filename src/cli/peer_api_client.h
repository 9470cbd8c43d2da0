// The HTTP side of `wgd peer`: where the running server's API is (--api, WGD_API_LISTEN,
// API_PORT, the config file, the default 127.0.0.1:8080; TCP or unix:), which token to send
// (--token, WGD_API_TOKEN, the token file in the data directory), one request at a time, and
// errors a person can act on ("is `wgd serve` running?", "401: pass --token ...").
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace httplib {
class ClientImpl;
}

namespace wgd::cli {

// What the command line said; empty means "not given".
struct ApiClientOptions {
  std::string api;         // --api HOST:PORT | [V6]:PORT | unix:/path
  std::string token;       // --token
  std::string token_file;  // --token-file
  std::string data_dir;    // --data-dir (for the default token file)
};

struct ApiResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

class PeerApiClient {
 public:
  // Resolves the address and the token. `environment` lookups go through getenv.
  static Result<PeerApiClient> create(const ApiClientOptions& options);
  PeerApiClient(PeerApiClient&&) noexcept;
  PeerApiClient& operator=(PeerApiClient&&) noexcept;
  ~PeerApiClient();

  // One request; fails only when no HTTP answer came (the message says how to fix it).
  Result<ApiResponse> send(std::string_view method, const std::string& path,
                           const std::optional<nlohmann::json>& body = std::nullopt);

  // The answer's JSON when its status is `expected`; otherwise the API's error in words
  // ("404: peer 'bob' not found"), with a hint for 401.
  Result<nlohmann::json> json_of(const ApiResponse& response, int expected) const;
  // The same check for a non-JSON answer (a config file, an empty 204).
  Result<void> expect(const ApiResponse& response, int expected) const;

  const std::string& address() const { return address_text_; }

 private:
  PeerApiClient() = default;
  std::string error_text(const ApiResponse& response) const;

  std::unique_ptr<httplib::ClientImpl> http_;
  std::string address_text_;  // as the user would write it, for messages
  std::string tcp_host_;      // TCP only: where to connect
  int tcp_port_ = 0;
  std::string token_;
  std::string token_note_;    // why there is no token, for the 401 hint
};

// A path segment: everything except A-Z a-z 0-9 - . _ ~ percent-encoded, so a base64 public
// key ("+", "/", "=") or any name survives the URL.
std::string url_encode_segment(std::string_view text);

}  // namespace wgd::cli
