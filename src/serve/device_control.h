// The narrow interface between `wgd serve` and a WireGuard interface: read its state, apply a
// change set (the operations of UAPI get=1 / set=1), and keep the routes to subnets behind
// peers. Two implementations: an interface wgd runs in this process (tunnel::Interface), and
// an interface another implementation serves on a UAPI socket (wireguard-go, boringtun, or
// `wgd tunnel`).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/netlink_socket.h"
#include "util/error.h"
#include "util/ip.h"
#include "wg/config_change.h"

namespace wgd::tunnel {
class Interface;
}

namespace wgd::serve {

class DeviceControl {
 public:
  virtual ~DeviceControl() = default;

  // "interface wg0 (in-process)", "UAPI socket /var/run/wireguard/wg0.sock".
  virtual std::string describe() const = 0;
  virtual Result<wg::DeviceStatus> get() = 0;
  // All or nothing, as UAPI set=1.
  virtual Result<void> set(wg::DeviceChange change) = 0;
  // Whether set_routes() does anything: only for an interface wgd runs itself; for another
  // implementation's interface, addresses and routes are the operator's job.
  virtual bool manages_routes() const { return false; }
  // Makes the routes via the interface (to subnets behind peers) exactly `routes`.
  virtual Result<void> set_routes(const std::vector<IpPrefix>& routes) {
    (void)routes;
    return {};
  }
};

struct InProcessOptions {
  std::string name = "wg0";
  std::uint32_t mtu = 1420;
  std::string uapi_socket_dir = "/var/run/wireguard";
};

// An interface run by this process: TUN device, UDP sockets, its threads and its UAPI socket
// (so `wg show` works), in the network namespace of the calling thread.
class InProcessDevice final : public DeviceControl {
 public:
  // Creates the TUN device and the UAPI socket; starts no thread.
  static Result<std::unique_ptr<InProcessDevice>> create(InProcessOptions options);
  ~InProcessDevice() override;  // stops the interface; the TUN device and socket go with it

  // Runs the interface's loop on its own thread. `on_exit` is called (on that thread) when the
  // loop ends without stop() having been called: a signal it caught, the link deleted, its
  // UAPI socket removed, or a data-plane failure (the error).
  void start(std::function<void(const Result<void>&)> on_exit);
  // Puts the addresses on the interface (ensure: ones already there are fine) and sets it up.
  Result<void> bring_up(const std::vector<IpPrefix>& addresses);
  void stop();

  std::string describe() const override;
  Result<wg::DeviceStatus> get() override;
  Result<void> set(wg::DeviceChange change) override;
  bool manages_routes() const override { return true; }
  Result<void> set_routes(const std::vector<IpPrefix>& routes) override;

  const std::string& name() const { return options_.name; }
  std::string uapi_socket() const;

  InProcessDevice(InProcessOptions options, std::unique_ptr<tunnel::Interface> itf);

 private:
  Result<net::NetlinkSocket*> netlink_locked();

  InProcessOptions options_;
  std::unique_ptr<tunnel::Interface> itf_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex routes_mu_;
  std::optional<net::NetlinkSocket> nl_;  // opened on first use, in our namespace
  std::set<IpPrefix> routes_;             // the routes we added
};

// An interface served by another process on a UAPI socket.
class UapiDevice final : public DeviceControl {
 public:
  // `ifname_or_path` as uapi::get takes it ("wg0" or "/var/run/wireguard/wg0.sock").
  explicit UapiDevice(std::string ifname_or_path) : target_(std::move(ifname_or_path)) {}
  std::string describe() const override;
  Result<wg::DeviceStatus> get() override;
  Result<void> set(wg::DeviceChange change) override;

 private:
  std::string target_;
};

}  // namespace wgd::serve
