// Tests of provisioning and fleet sync: the real PeerService over a SQLite file in a temporary
// directory and the real reconciler, in front of an in-memory interface (fake_device.h), as
// `wgd serve` wires them, with a server key and IPv4 subnet of the test's choosing.
#pragma once

#include <memory>
#include <string>

#include "crypto/x25519.h"
#include "serve/fake_device.h"
#include "serve/peer_service_impl.h"
#include "serve/serve_test_support.h"

namespace wgd::serve::testing {

class ServiceUnderTest {
 public:
  explicit ServiceUnderTest(std::string ipv4_address = "10.13.13.1/24")
      : store_(open_test_store(dir_)), private_key_(crypto::x25519_generate()) {
    start(std::move(ipv4_address));
  }
  ~ServiceUnderTest() { stop(); }

  // A restart with another tunnel address (the same store, key and interface), as
  // `wgd serve` restarted with a new WGD_IPV4_ADDRESS or INTERNAL_SUBNET.
  void restart(std::string ipv4_address) {
    stop();
    start(std::move(ipv4_address));
  }

  PeerServiceImpl& service() { return *service_; }
  Store& store() { return *store_; }
  FakeDevice& device() { return device_; }
  const crypto::PrivateKey& private_key() const { return private_key_; }
  crypto::PublicKey public_key() const { return crypto::x25519_public(private_key_); }
  const IpPrefix& ipv4_address() const { return ipv4_; }
  const TempDir& dir() const { return dir_; }

 private:
  void start(std::string ipv4_address) {
    ipv4_ = *IpPrefix::parse(ipv4_address);
    ReconcilerOptions ro;
    ro.server_public_key = public_key();
    ro.interval = std::chrono::seconds(60);
    reconciler_ = std::make_unique<Reconciler>(*store_, device_, std::move(ro));
    if (!reconciler_->run_once()) std::abort();
    reconciler_->start();
    PeerServiceConfig c;
    c.info.public_key = public_key();
    c.info.interface = "wgtest";
    c.info.listen_port = 51820;
    c.info.endpoint = "vpn.example.com:51820";
    c.info.ipv4_address = ipv4_;
    c.pool.v4 = TunnelSubnet::from_interface_address(ipv4_);
    c.client.server_public_key = c.info.public_key;
    c.client.endpoint = c.info.endpoint;
    c.client.allowed_ips = {*IpPrefix::parse("0.0.0.0/0")};
    service_ = std::make_unique<PeerServiceImpl>(*store_, device_, *reconciler_, std::move(c));
  }
  void stop() {
    service_.reset();
    if (reconciler_) reconciler_->stop();
    reconciler_.reset();
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  crypto::PrivateKey private_key_;
  IpPrefix ipv4_;
  FakeDevice device_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<PeerServiceImpl> service_;
};

}  // namespace wgd::serve::testing
