// The files devices fetch, in the forms seed 000 shows, and the fioctl request bodies.
#include "serve/fleet/fleet_publish.h"

#include <gtest/gtest.h>

namespace wgd::serve::fleet {
namespace {

TEST(FleetPublish, WireguardClientAsSeed000ShowsIt) {
  crypto::PublicKey device{};
  device.fill(1);
  const std::string text = wireguard_client_text(*IpAddress::parse("10.42.44.2"), device);
  EXPECT_EQ(text, "address=10.42.44.2\npubkey=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
  const auto body = device_config_body(text);
  EXPECT_EQ(body["files"][0]["name"], "wireguard-client");
  EXPECT_EQ(body["files"][0]["value"], text);
  EXPECT_EQ(body["files"][0]["unencrypted"], true);
  EXPECT_TRUE(body["reason"].is_string());
}

TEST(FleetPublish, WireguardServerAsFactoryWireguardRegistersIt) {
  crypto::PublicKey server{};
  server.fill(2);
  const std::string text = wireguard_server_text("203.0.113.5:5555", *IpAddress::parse("10.42.42.1"), server);
  EXPECT_EQ(text, "endpoint=203.0.113.5:5555\nserver_address=10.42.42.1\npubkey=AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=");
  const auto body = factory_config_body(text);
  EXPECT_EQ(body["files"][0]["name"], "wireguard-server");
  EXPECT_EQ(body["files"][0]["value"], text);
  EXPECT_EQ(body["files"][0]["on-changed"][0], "/usr/share/fioconfig/handlers/factory-config-vpn");
}

}  // namespace
}  // namespace wgd::serve::fleet
