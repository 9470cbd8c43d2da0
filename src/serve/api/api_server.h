// The HTTP server of `wgd serve` (cpp-httplib, with its own thread pool): listens on TCP or a
// unix socket, checks the bearer token (constant time) per route group, writes JSON errors,
// counts requests, and registers every route group of api_context.h plus the token rotation.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/api/api_context.h"
#include "serve/api/api_token.h"
#include "serve/listen_address.h"
#include "serve/peer_service.h"
#include "serve/settings.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace wgd::serve::api {

struct ApiServerOptions {
  ListenAddress listen;
  std::size_t threads = 16;                // connections served at once
  std::size_t max_body_bytes = 1 << 20;    // larger bodies get 413
  // Route groups from outside api/, registered after the built-in ones (issue 6: fleet sync's
  // /api/v1/fleet/*), so they share the token, the error shape and the counters.
  std::vector<std::function<void(ApiContext&)>> extra_routes;
};

// Writes {"error":{"code","message","field"}} with `status`.
void write_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                 std::string_view field = {});
// Writes the error a failed service call should give (json_codec.h: http_error_from).
void write_service_error(httplib::Response& res, const Error& e);
void write_json(httplib::Response& res, int status, const nlohmann::json& body);

class ApiServer {
 public:
  // Binds the socket (an error names the address and the reason) and registers the routes.
  // `token` is used by the groups whose authentication is on.
  static Result<std::unique_ptr<ApiServer>> create(PeerService& peers, const ServerSettings& settings,
                                                   ApiToken& token, ApiServerOptions options);
  ~ApiServer();

  void start();  // serves on its own thread
  // Stops accepting, lets requests in progress finish, joins every thread; removes a unix
  // socket file.
  void stop();

  // The address as bound (a TCP port 0 replaced by the one the kernel chose).
  const ListenAddress& address() const { return bound_; }
  ApiCounters& counters() { return counters_; }

  struct Server;  // httplib::Server that can serve a socket we bound ourselves
  ApiServer(PeerService& peers, const ServerSettings& settings, ApiToken& token,
            ApiServerOptions options);

 private:
  bool authorize(const httplib::Request& req, httplib::Response& res, std::string_view group);
  void register_routes();

  PeerService& peers_;
  const ServerSettings& settings_;
  ApiToken& token_;
  ApiServerOptions options_;
  ListenAddress bound_;
  ApiCounters counters_;
  std::unique_ptr<Server> http_;
  std::unique_ptr<ApiContext> context_;
  UniqueFd listen_fd_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  bool owns_socket_file_ = false;  // we bound the unix socket, so we remove it
};

}  // namespace wgd::serve::api
