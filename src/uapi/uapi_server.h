// The UAPI socket server: /var/run/wireguard/IFNAME.sock, through which the stock wg(8) and
// wg-quick(8) configure a userspace interface (wireguard.com/xplatform).
//
// Two ways to run it, pick one per server:
//  - In the owner's event loop: watch fd() for readability (it is an epoll fd covering the
//    listening socket and every client) and call handle_ready() when it is readable. Nothing in
//    handle_ready() blocks: sockets are non-blocking and a slow client only holds its own reply.
//  - On its own thread: start(). The destructor (or stop()) wakes the thread and joins it.
// Either way the handler is called on the thread that runs handle_ready(), one request at a
// time, so it needs no locking against the server itself (only against its own data path).
//
// Per connection, requests are served in sequence (several may arrive in one write). A set=1 is
// parsed completely before the handler sees it, and then handed over in one set() call: a
// request with a bad line changes nothing. Replies to a refused set carry the negated errno, as
// wireguard-go sends and wg(8) expects ("errno=-22"). A request that breaks the framing (an
// unknown operation, a line without '=', get=1 not followed by a blank line) is answered
// errno=-EPROTO and the connection is closed, since what follows cannot be trusted to start a
// request; a request larger than max_request_bytes is answered errno=-EMSGSIZE and closed.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "uapi/uapi_paths.h"
#include "util/error.h"
#include "wg/config_change.h"

namespace wgd::uapi {

class UapiHandler {
 public:
  virtual ~UapiHandler() = default;
  // A consistent snapshot of the interface.
  virtual wg::DeviceStatus get() = 0;
  // Applies the whole change or none of it; Error::code is the errno to reply with.
  virtual Result<void> set(wg::DeviceChange change) = 0;
};

struct UapiServerOptions {
  std::string socket_dir = std::string(kDefaultSocketDir);
  // Largest set=1 request accepted. A peer takes about 300 bytes, so the default fits tens of
  // thousands of peers in one `wg setconf`.
  std::size_t max_request_bytes = 16u << 20;
  // Connections beyond this are closed as soon as they are accepted (the socket is root-only,
  // so this bounds mistakes rather than attacks).
  std::size_t max_clients = 64;
  // Called once, from the serving thread, when the socket file is deleted or replaced by
  // someone else. Removing the socket is how a userspace interface is told to go away
  // (wireguard-go shuts down then); the owner decides what to do, but must not destroy the
  // server from inside the callback (in thread mode that would join the calling thread).
  std::function<void()> on_socket_removed;
};

class UapiServer {
 public:
  // Creates DIR (0755, with parents) if missing and listens on DIR/IFNAME.sock with mode 0700.
  // A socket file nobody answers on (left by a crashed process) is replaced; one that answers is
  // an error (EADDRINUSE), and so is a path that exists but is not a socket (EEXIST).
  // `handler` must outlive the server.
  static Result<std::unique_ptr<UapiServer>> listen(
      std::string ifname, UapiHandler& handler,
      std::string socket_dir = std::string(kDefaultSocketDir));
  static Result<std::unique_ptr<UapiServer>> listen(std::string ifname, UapiHandler& handler,
                                                    UapiServerOptions options);

  UapiServer(const UapiServer&) = delete;
  UapiServer& operator=(const UapiServer&) = delete;
  // Stops the thread if started, closes every connection, and removes the socket file if it is
  // still ours (not if another process has since replaced it).
  ~UapiServer();

  const std::string& socket_path() const;

  // Event-loop mode: readable when handle_ready() has work. Not to be mixed with start().
  // After running out of descriptors the server stops accepting for up to a second; an owner
  // loop that waits only on fd() retries when a client disconnects or on its next wakeup.
  int fd() const;
  void handle_ready();

  // Thread mode. Fails if already started.
  Result<void> start();
  // Wakes and joins the thread (idempotent); the socket stays until destruction.
  void stop();

 private:
  struct Impl;
  explicit UapiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wgd::uapi
