// `wgd serve`: settings -> data directory -> store -> server identity and API token ->
// interface (in-process or another implementation's UAPI socket) -> first reconcile ->
// PeerService -> HTTP API; then it waits for SIGTERM/SIGINT and shuts down in the reverse
// order: no new requests, requests in progress finish, the reconciler stops, the interface
// (if it is ours) goes away with its UAPI socket.
#pragma once

#include <memory>
#include <string>

#include "serve/settings.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace wgd::serve {

class Server {
 public:
  // Brings everything up and serves. Blocks SIGTERM, SIGINT and SIGHUP in the calling thread
  // first (so every thread started afterwards leaves them to wait()): call it before starting
  // other threads.
  static Result<std::unique_ptr<Server>> start(ResolvedSettings resolved);
  ~Server();

  // Until a stop signal (or request_stop(), or the in-process interface ending by itself),
  // then shuts down in order. An error only when the interface's data plane failed.
  Result<void> wait();
  void request_stop();

  std::string api_address() const;  // as bound: "127.0.0.1:43211", "unix:/run/wgd.sock"

  struct Parts;
  explicit Server(std::unique_ptr<Parts> parts);

 private:
  void shutdown();
  std::unique_ptr<Parts> parts_;
};

// `wgd serve --rotate-token`: writes a new token into <data_dir>/api-token and returns it; a
// running server picks it up within a second.
Result<std::string> rotate_api_token(const ServerSettings& settings);

}  // namespace wgd::serve
