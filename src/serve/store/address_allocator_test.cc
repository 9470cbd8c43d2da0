#include "serve/store/address_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "serve/store/store_error.h"

namespace wgd::serve {
namespace {

IpAddress ip(std::string_view s) {
  return *IpAddress::parse(s);
}
TunnelSubnet subnet(std::string_view server_cidr) {
  return TunnelSubnet::from_interface_address(*IpPrefix::parse(server_cidr));
}
std::vector<IpAddress> sorted(std::vector<IpAddress> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(AddressAllocator, FromInterfaceAddressSplitsSubnetAndServer) {
  TunnelSubnet s = subnet("10.8.0.1/24");
  EXPECT_EQ(s.subnet.to_string(), "10.8.0.0/24");
  ASSERT_EQ(s.reserved.size(), 1u);
  EXPECT_EQ(s.reserved[0], ip("10.8.0.1"));
}

TEST(AddressAllocator, LowestFreeSkipsNetworkAndServer) {
  TunnelSubnet s = subnet("10.8.0.1/24");
  EXPECT_EQ(*allocate_address(s, {}), ip("10.8.0.2"));
  auto used = sorted({ip("10.8.0.2"), ip("10.8.0.3"), ip("10.8.0.5")});
  EXPECT_EQ(*allocate_address(s, used), ip("10.8.0.4"));
  // The server at the top of the range: the network address is still never handed out.
  TunnelSubnet top = subnet("10.8.0.254/24");
  EXPECT_EQ(*allocate_address(top, {}), ip("10.8.0.1"));
}

TEST(AddressAllocator, SlashTwentyNineHandsOutExactlyFiveAddresses) {
  TunnelSubnet s = subnet("10.8.0.1/29");
  EXPECT_EQ(usable_address_count(s), 5u);
  std::vector<IpAddress> used;
  for (int i = 0; i < 5; ++i) {
    auto a = allocate_address(s, used);
    ASSERT_TRUE(a) << a.error().message;
    used.insert(std::lower_bound(used.begin(), used.end(), *a), *a);
  }
  EXPECT_EQ(used, sorted({ip("10.8.0.2"), ip("10.8.0.3"), ip("10.8.0.4"), ip("10.8.0.5"),
                          ip("10.8.0.6")}));
  auto full = allocate_address(s, used);
  ASSERT_FALSE(full);
  EXPECT_EQ(store_error_kind(full.error()), StoreErrorKind::kSubnetFull);
  EXPECT_EQ(full.error().message, "no free address left in 10.8.0.0/29");
}

TEST(AddressAllocator, PointToPointSubnetsHaveNoSpecialAddresses) {
  TunnelSubnet s31 = subnet("10.8.0.0/31");  // server .0, peer .1
  EXPECT_EQ(*allocate_address(s31, {}), ip("10.8.0.1"));
  EXPECT_EQ(usable_address_count(s31), 1u);
  TunnelSubnet s32{*IpPrefix::parse("10.8.0.9/32"), {}};
  EXPECT_EQ(*allocate_address(s32, {}), ip("10.8.0.9"));
  std::vector<IpAddress> used{ip("10.8.0.9")};
  EXPECT_FALSE(allocate_address(s32, used));
  TunnelSubnet s127 = subnet("fd00::/127");
  EXPECT_EQ(*allocate_address(s127, {}), ip("fd00::1"));
}

TEST(AddressAllocator, Ipv6SkipsSubnetRouterAnycastAndServer) {
  TunnelSubnet s = subnet("fd00:8::1/64");
  EXPECT_EQ(*allocate_address(s, {}), ip("fd00:8::2"));
  TunnelSubnet no_server{*IpPrefix::parse("fd00:8::/64"), {}};
  EXPECT_EQ(*allocate_address(no_server, {}), ip("fd00:8::1"));  // ::0 is never given
  auto used = sorted({ip("fd00:8::2"), ip("fd00:8::3"), ip("fd00:8::5")});
  EXPECT_EQ(*allocate_address(s, used), ip("fd00:8::4"));
}

TEST(AddressAllocator, HugeIpv6UsedSetIsSearchedNotWalked) {
  // A million used addresses in a row, then one hole: found by binary search over the list.
  TunnelSubnet s = subnet("fd00:8::1/64");
  std::vector<IpAddress> used;
  constexpr std::uint32_t kCount = 1'000'000;
  used.reserve(kCount);
  auto at = [](std::uint32_t offset) {
    std::array<std::uint8_t, 16> b{};
    std::copy_n(ip("fd00:8::").bytes(), 16, b.begin());
    b[12] = static_cast<std::uint8_t>(offset >> 24);
    b[13] = static_cast<std::uint8_t>(offset >> 16);
    b[14] = static_cast<std::uint8_t>(offset >> 8);
    b[15] = static_cast<std::uint8_t>(offset);
    return IpAddress::v6(b);
  };
  for (std::uint32_t i = 2; i < 2 + kCount; ++i) used.push_back(at(i));
  EXPECT_EQ(*allocate_address(s, used), at(2 + kCount));
  used.erase(used.begin() + 777'777);  // free at(777'779)
  EXPECT_EQ(*allocate_address(s, used), at(777'779));
  EXPECT_EQ(usable_address_count(subnet("fd00:8::1/48")), ~std::uint64_t{0});  // saturated
  EXPECT_EQ(usable_address_count(s), ~std::uint64_t{0} - 1);  // 2^64 - anycast - server
}

TEST(AddressAllocator, IgnoresUsedAddressesOutsideTheSubnet) {
  TunnelSubnet s = subnet("10.8.1.1/24");
  auto used = sorted({ip("10.8.0.2"), ip("10.8.1.2"), ip("10.8.2.3"), ip("fd00::3")});
  EXPECT_EQ(*allocate_address(s, used), ip("10.8.1.3"));
}

TEST(AddressAllocator, SeveralReservedAddressesInsideRuns) {
  TunnelSubnet s{*IpPrefix::parse("10.8.0.0/28"), {ip("10.8.0.1"), ip("10.8.0.4"), ip("10.8.0.5")}};
  auto used = sorted({ip("10.8.0.2"), ip("10.8.0.3"), ip("10.8.0.6")});
  EXPECT_EQ(*allocate_address(s, used), ip("10.8.0.7"));
  EXPECT_EQ(usable_address_count(s), 11u);  // 14 hosts - 3 reserved
}

// The binary search against a trivially correct linear scan, on random subsets.
TEST(AddressAllocator, MatchesLinearReferenceOnRandomSubsets) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    int len = 26 + static_cast<int>(rng() % 7);  // /26 .. /32
    TunnelSubnet s{IpPrefix{ip("10.20.30.0"), len}.canonical(), {}};
    std::uint32_t base = s.subnet.address.v4_host_order();
    std::uint32_t size = 1u << (32 - len);
    for (std::uint32_t k = rng() % 3; k > 0; --k)
      s.reserved.push_back(IpAddress::v4(base + rng() % size));
    std::set<std::uint32_t> used_set;
    std::uint32_t fill = rng() % (size + 1);
    for (std::uint32_t i = 0; i < fill; ++i) used_set.insert(base + rng() % size);
    std::vector<IpAddress> used;
    for (std::uint32_t u : used_set) used.push_back(IpAddress::v4(u));

    std::optional<IpAddress> expected;
    bool special = len <= 30;
    for (std::uint32_t a = base + (special ? 1 : 0); a <= base + size - 1 - (special ? 1 : 0);
         ++a) {
      IpAddress c = IpAddress::v4(a);
      if (used_set.count(a) || std::count(s.reserved.begin(), s.reserved.end(), c)) continue;
      expected = c;
      break;
    }
    auto got = allocate_address(s, used);
    ASSERT_EQ(got.has_value(), expected.has_value()) << s.subnet.to_string() << " round " << round;
    if (expected) {
      ASSERT_EQ(*got, *expected) << s.subnet.to_string() << " round " << round;
    }
  }
}

TEST(AddressAllocator, ValidateRequestedGivesClearReasons) {
  TunnelSubnet s = subnet("10.8.0.1/24");
  auto check = [&](std::string_view a, std::optional<std::string_view> taken_by,
                   StoreErrorKind kind, std::string_view message) {
    auto r = validate_requested(ip(a), s, taken_by);
    ASSERT_FALSE(r) << a;
    EXPECT_EQ(store_error_kind(r.error()), kind) << a;
    EXPECT_EQ(r.error().message, message);
  };
  check("10.9.0.5", std::nullopt, StoreErrorKind::kInvalid, "10.9.0.5 is outside 10.8.0.0/24");
  check("fd00::5", std::nullopt, StoreErrorKind::kInvalid, "fd00::5 is outside 10.8.0.0/24");
  check("10.8.0.1", std::nullopt, StoreErrorKind::kConflict, "10.8.0.1 is the server's address");
  check("10.8.0.0", std::nullopt, StoreErrorKind::kInvalid,
        "10.8.0.0 is the network address of 10.8.0.0/24");
  check("10.8.0.255", std::nullopt, StoreErrorKind::kInvalid,
        "10.8.0.255 is the broadcast address of 10.8.0.0/24");
  check("10.8.0.7", "alice", StoreErrorKind::kConflict, "10.8.0.7 is already taken by peer alice");
  EXPECT_TRUE(validate_requested(ip("10.8.0.7"), s, std::nullopt));
  EXPECT_TRUE(validate_requested(ip("10.8.0.254"), s, std::nullopt));

  TunnelSubnet s6 = subnet("fd00:8::1/64");
  auto r = validate_requested(ip("fd00:8::"), s6, std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "fd00:8:: is the subnet-router anycast address of fd00:8::/64");
  EXPECT_TRUE(validate_requested(ip("fd00:8::ffff:ffff:ffff:ffff"), s6, std::nullopt));
}

TEST(AddressAllocator, SubnetBounds) {
  auto [lo, hi] = subnet_bounds(*IpPrefix::parse("10.8.0.77/24"));
  EXPECT_EQ(lo, ip("10.8.0.0"));
  EXPECT_EQ(hi, ip("10.8.0.255"));
  auto [lo6, hi6] = subnet_bounds(*IpPrefix::parse("fd00:8::1/64"));
  EXPECT_EQ(lo6, ip("fd00:8::"));
  EXPECT_EQ(hi6, ip("fd00:8::ffff:ffff:ffff:ffff"));
}

}  // namespace
}  // namespace wgd::serve
