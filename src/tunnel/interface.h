// A running userspace WireGuard interface: the TUN device, the UDP sockets, the protocol core,
// the UAPI socket, and the threads that move packets between them.
//
// Threads (started by run(); create() starts none, so the caller may fork in between):
//   tx         TUN -> route, nonces (locked) -> encrypt (unlocked) -> UDP, in batches
//   rx4, rx6   UDP -> decrypt (unlocked) between two short locked steps -> TUN, in batches;
//              handshake messages are queued for the handshake thread
//   handshake  X25519 work, one message at a time; the queue length signals "under load"
//   control    the caller's thread in run(): UAPI requests, timers, signals, link deletion
// All protocol state lives in one wg::Device guarded by one mutex, held per batch and never
// across a system call or an AEAD operation.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/link_monitor.h"
#include "tunnel/handshake_queue.h"
#include "tunnel/tun_device.h"
#include "tunnel/udp_bind.h"
#include "uapi/uapi_server.h"
#include "util/error.h"
#include "util/unique_fd.h"
#include "wg/device.h"

namespace wgd::tunnel {

struct InterfaceOptions {
  std::string name;
  std::uint32_t mtu = 1420;  // wireguard-go's default; wg-quick sets its own afterwards
  std::string uapi_socket_dir = "/var/run/wireguard";
  // TUN segmentation/checksum offloads and UDP GSO/GRO, each used where the kernel allows.
  bool offloads = true;
  wg::TimerSettings timers;  // the protocol's; only tests shorten them
};

class Interface final : public uapi::UapiHandler {
 public:
  // Creates the TUN device, binds a random UDP port, listens on the UAPI socket. No threads.
  static Result<std::unique_ptr<Interface>> create(InterfaceOptions options);
  ~Interface() override;

  // Runs until SIGTERM/SIGINT, until the interface is deleted, until its UAPI socket is removed,
  // or until request_stop(). Blocks those signals in the calling thread (and so in every thread
  // it starts). Returns an error only when the data plane failed.
  Result<void> run();
  void request_stop();

  const std::string& name() const { return tun_.name(); }
  std::uint16_t listen_port() const;

  // The narrow control interface (the same operations as UAPI get=1 / set=1).
  wg::DeviceStatus get() override;
  Result<void> set(wg::DeviceChange change) override;

 private:
  struct Private {};  // only create() constructs, but through make_unique

 public:
  Interface(Private, InterfaceOptions options, TunDevice tun);

 private:
  void tx_loop();
  void rx_loop(std::shared_ptr<UdpBind> bind, UdpBind::Family family);
  void handshake_loop();
  Result<void> control_loop();
  void start_receivers(const std::shared_ptr<UdpBind>& bind);
  void stop_receivers();
  void swap_bind(std::shared_ptr<UdpBind> fresh);
  void flush(class BatchSink& sink);
  void wake_control_if_needed(wg::Nanos deadline);
  void refresh_mtu();
  void fail_data_plane(const Error& e);

  InterfaceOptions options_;
  TunDevice tun_;
  wg::SystemRng rng_;

  std::mutex device_mutex_;
  wg::Device device_;  // guarded by device_mutex_

  std::atomic<std::shared_ptr<UdpBind>> bind_;
  std::unique_ptr<uapi::UapiServer> uapi_;
  std::unique_ptr<net::LinkMonitor> link_monitor_;
  HandshakeQueue handshakes_;

  UniqueFd stop_fd_;  // eventfd: readable once stopping
  UniqueFd wake_fd_;  // eventfd: a timer was armed earlier than the control loop sleeps
  std::atomic<bool> stopping_{false};
  std::atomic<wg::Nanos> control_wakes_at_{0};
  std::mutex failure_mutex_;
  std::optional<Error> failure_;

  std::thread tx_thread_, handshake_thread_;
  std::vector<std::thread> rx_threads_;
  std::shared_ptr<UdpBind> rx_bind_;  // the bind the running receivers use
  std::atomic<std::size_t> device_mtu_{0};  // the TUN's MTU, polled by the control loop
};

}  // namespace wgd::tunnel
