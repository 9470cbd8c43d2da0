// The fixture every src/net/ netns test uses: a fresh namespace entered by the test thread and a
// netlink socket opened inside it, plus helpers to build interfaces with the real `ip` tool.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "net/netlink_socket.h"
#include "net/netns_test_util.h"

namespace wgd::net {

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = wgd::testing::TestNetns::create("wgdnet");
    ASSERT_TRUE(ns) << ns.error().message;
    ns_.emplace(std::move(*ns));
    auto entry = ns_->enter();
    ASSERT_TRUE(entry) << entry.error().message;
    entry_.emplace(std::move(*entry));
    auto nl = NetlinkSocket::open();
    ASSERT_TRUE(nl) << nl.error().message;
    nl_.emplace(std::move(*nl));
  }

  void TearDown() override {
    nl_.reset();
    entry_.reset();
    ns_.reset();
  }

  // Public so free helper functions in the tests can take the fixture.
 public:
  wgd::testing::TestNetns& ns() { return *ns_; }
  NetlinkSocket& nl() { return *nl_; }

  // `ip ARGS...` in the namespace; fails the test (not just returns) when ip does.
  std::string ip(const std::vector<std::string>& args) {
    auto out = ns_->ip(args);
    EXPECT_TRUE(out) << out.error().message;
    return out ? *out : std::string();
  }
  nlohmann::json ip_json(const std::vector<std::string>& args) {
    auto out = ns_->ip_json(args);
    EXPECT_TRUE(out) << out.error().message;
    return out ? *out : nlohmann::json::array();
  }

  // A veth pair with both ends up (so both have carrier); returns the index of `a`.
  int add_veth(const std::string& a, const std::string& b) {
    ip({"link", "add", a, "type", "veth", "peer", "name", b});
    ip({"link", "set", a, "up"});
    ip({"link", "set", b, "up"});
    return ifindex_of(a);
  }

  // The interface's index as `ip link show` reports it; -1 if ip does not know it.
  int ifindex_of(const std::string& name) {
    auto j = ns_->ip_json({"link", "show", "dev", name});
    if (!j || j->empty()) return -1;
    return (*j)[0]["ifindex"].get<int>();
  }

 private:
  std::optional<wgd::testing::TestNetns> ns_;
  std::optional<wgd::testing::NetnsEntry> entry_;
  std::optional<NetlinkSocket> nl_;
};

}  // namespace wgd::net
