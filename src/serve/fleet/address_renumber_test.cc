// Moving an address into a new subnet keeping its host part (seed 000's --vpnaddr move).
#include "serve/fleet/address_renumber.h"

#include <gtest/gtest.h>

namespace wgd::serve {
namespace {

TunnelSubnet subnet(std::string_view server) { return TunnelSubnet::from_interface_address(*IpPrefix::parse(server)); }
std::string moved(std::string_view address, std::string_view server) {
  auto m = renumber_into(*IpAddress::parse(address), subnet(server));
  return m ? m->to_string() : "(none)";
}

TEST(AddressRenumber, KeepsTheHostPart) {
  EXPECT_EQ(moved("10.42.42.2", "10.42.44.1/24"), "10.42.44.2");
  EXPECT_EQ(moved("10.42.42.254", "10.42.44.1/24"), "10.42.44.254");
  EXPECT_EQ(moved("10.13.13.5", "172.20.0.1/16"), "172.20.13.5");   // a longer host part
  EXPECT_EQ(moved("10.42.42.130", "10.42.44.1/25"), "10.42.44.2");   // 130 = 128 + 2
  EXPECT_EQ(moved("fd00:1::7", "fd00:2::1/64"), "fd00:2::7");
}

TEST(AddressRenumber, InsideStaysAsItIs) {
  EXPECT_EQ(moved("10.42.44.9", "10.42.44.1/24"), "10.42.44.9");
}

TEST(AddressRenumber, NeverAnAddressAPeerCannotHave) {
  EXPECT_EQ(moved("10.42.42.1", "10.42.44.1/24"), "(none)");    // the server's
  EXPECT_EQ(moved("10.42.42.0", "10.42.44.1/24"), "(none)");    // network
  EXPECT_EQ(moved("10.42.42.255", "10.42.44.1/24"), "(none)");  // broadcast
  EXPECT_EQ(moved("10.42.44.1", "10.42.44.1/24"), "(none)");
  EXPECT_EQ(moved("fd00::7", "10.42.44.1/24"), "(none)");       // another family
}

}  // namespace
}  // namespace wgd::serve
