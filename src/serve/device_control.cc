#include "serve/device_control.h"

#include <spdlog/spdlog.h>

#include "net/address.h"
#include "net/link.h"
#include "net/route.h"
#include "tunnel/interface.h"
#include "uapi/uapi_client.h"
#include "uapi/uapi_paths.h"

namespace wgd::serve {
namespace {

// The UAPI client's timeout: generous, since a set with 10,000 peers is one request.
constexpr std::chrono::milliseconds kUapiTimeout{10'000};

}  // namespace

// --- in-process ---------------------------------------------------------------------------

InProcessDevice::InProcessDevice(InProcessOptions options, std::unique_ptr<tunnel::Interface> itf)
    : options_(std::move(options)), itf_(std::move(itf)) {}

Result<std::unique_ptr<InProcessDevice>> InProcessDevice::create(InProcessOptions options) {
  tunnel::InterfaceOptions io;
  io.name = options.name;
  io.mtu = options.mtu;
  io.uapi_socket_dir = options.uapi_socket_dir;
  auto itf = tunnel::Interface::create(std::move(io));
  if (!itf) return std::unexpected(itf.error().context("interface " + options.name));
  return std::make_unique<InProcessDevice>(std::move(options), std::move(*itf));
}

InProcessDevice::~InProcessDevice() { stop(); }

void InProcessDevice::start(std::function<void(const Result<void>&)> on_exit) {
  thread_ = std::thread([this, on_exit = std::move(on_exit)] {
    auto result = itf_->run();
    if (!stopping_.load() && on_exit) on_exit(result);
  });
}

void InProcessDevice::stop() {
  stopping_.store(true);
  if (itf_) itf_->request_stop();
  if (thread_.joinable()) thread_.join();
}

std::string InProcessDevice::describe() const {
  return fmt::format("interface {} (in-process)", options_.name);
}

std::string InProcessDevice::uapi_socket() const {
  return uapi::socket_path(options_.name, options_.uapi_socket_dir);
}

Result<wg::DeviceStatus> InProcessDevice::get() { return itf_->get(); }

Result<void> InProcessDevice::set(wg::DeviceChange change) {
  // A new listen port or fwmark rebinds the UDP sockets, which only the interface's control
  // thread may do safely once its receivers run; a UAPI request is handled on that thread (and,
  // sent before run() has started, waits in the socket's backlog until it has). Peer and key
  // changes only touch the protocol state under its lock and can be applied from here.
  if (change.listen_port || change.fwmark) return uapi::set(uapi_socket(), change, kUapiTimeout);
  return itf_->set(std::move(change));
}

Result<net::NetlinkSocket*> InProcessDevice::netlink_locked() {
  if (!nl_) {
    auto nl = net::NetlinkSocket::open();
    if (!nl) return std::unexpected(nl.error());
    nl_.emplace(std::move(*nl));
  }
  return &*nl_;
}

Result<void> InProcessDevice::bring_up(const std::vector<IpPrefix>& addresses) {
  std::lock_guard lock(routes_mu_);
  auto nl = netlink_locked();
  if (!nl) return std::unexpected(nl.error());
  for (const auto& a : addresses) {
    auto ok = net::address_add(**nl, options_.name, a);
    if (!ok && !net::is_already_exists(ok.error()))
      return std::unexpected(ok.error().context("address " + a.to_string() + " on " + options_.name));
  }
  return net::link_set_up(**nl, options_.name, true);
}

Result<void> InProcessDevice::set_routes(const std::vector<IpPrefix>& wanted_list) {
  std::lock_guard lock(routes_mu_);
  auto nl = netlink_locked();
  if (!nl) return std::unexpected(nl.error());
  auto index = net::link_index(**nl, options_.name);
  if (!index) return std::unexpected(index.error());
  const std::set<IpPrefix> wanted(wanted_list.begin(), wanted_list.end());
  std::optional<Error> first_error;
  for (auto it = routes_.begin(); it != routes_.end();) {
    if (wanted.contains(*it)) {
      ++it;
      continue;
    }
    auto ok = net::route_delete(**nl, net::RouteSpec{*it, *index});
    if (!ok && ok.error().code != ESRCH && !first_error) first_error = ok.error();
    it = routes_.erase(it);
  }
  for (const auto& r : wanted) {
    if (routes_.contains(r)) continue;
    auto ok = net::route_add(**nl, net::RouteSpec{r, *index});
    if (ok || net::is_already_exists(ok.error())) {
      routes_.insert(r);
    } else if (!first_error) {
      first_error = ok.error();
    }
  }
  if (first_error) return std::unexpected(*first_error);
  return {};
}

// --- another implementation's UAPI socket --------------------------------------------------

std::string UapiDevice::describe() const {
  auto path = uapi::resolve_socket_path(target_);
  return "UAPI socket " + (path ? *path : target_);
}

Result<wg::DeviceStatus> UapiDevice::get() { return uapi::get(target_, kUapiTimeout); }

Result<void> UapiDevice::set(wg::DeviceChange change) {
  return uapi::set(target_, change, kUapiTimeout);
}

}  // namespace wgd::serve
