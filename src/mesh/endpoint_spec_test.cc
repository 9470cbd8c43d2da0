#include "mesh/endpoint_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace wgd::mesh {
namespace {

using ::testing::HasSubstr;

TEST(EndpointSpec, Forms) {
  struct Case {
    const char* text;
    const char* host;
    std::optional<std::uint16_t> port;
    const char* line;  // with_port(55867)
  } cases[] = {
      {"203.0.113.54", "203.0.113.54", {}, "203.0.113.54:55867"},
      {"203.0.113.54:51820", "203.0.113.54", 51820, "203.0.113.54:55867"},
      {"Dolores.Example.NET", "dolores.example.net", {}, "dolores.example.net:55867"},
      {"maeve.example.net:1", "maeve.example.net", 1, "maeve.example.net:55867"},
      {"[2001:db8:48d1::1]:65535", "2001:db8:48d1::1", 65535, "[2001:db8:48d1::1]:55867"},
      {"[2001:DB8::1]", "2001:db8::1", {}, "[2001:db8::1]:55867"},
      {"2001:db8:2d07:5b57::0", "2001:db8:2d07:5b57::", {}, "[2001:db8:2d07:5b57::]:55867"},
      {"localhost", "localhost", {}, "localhost:55867"},
  };
  for (const auto& c : cases) {
    auto e = parse_endpoint_spec(c.text);
    ASSERT_TRUE(e) << c.text << ": " << e.error().message;
    EXPECT_EQ(e->host, c.host) << c.text;
    EXPECT_EQ(e->port, c.port) << c.text;
    EXPECT_EQ(e->with_port(55867), c.line) << c.text;
  }
}

TEST(EndpointSpec, Errors) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "empty"},
      {"host:", "the port after ':' is missing"},
      {":55867", "the host before ':' is missing"},
      {"host:0", "port 0 is not in 1-65535"},
      {"host:65536", "port 65536 is not in 1-65535"},
      {"host:+5", "port '+5' is not a number"},
      {"host:5x", "port '5x' is not a number"},
      {"203.0.113.256", "neither an IP address nor a valid DNS name"},
      {"bad_host.example", "neither an IP address nor a valid DNS name"},
      {"-lead.example", "neither an IP address nor a valid DNS name"},
      {"a..b", "neither an IP address nor a valid DNS name"},
      {"[2001:db8::1", "'[' without ']'"},
      {"[203.0.113.1]:5", "is not an IPv6 address"},
      {"[2001:db8::1]5", "unexpected '5' after ']'"},
      {"2001:db8::g", "with a port, write [ADDRESS]:PORT"},
  };
  for (const auto& c : cases) {
    auto e = parse_endpoint_spec(c.text);
    ASSERT_FALSE(e) << c.text;
    EXPECT_THAT(e.error().message, HasSubstr(c.error)) << c.text;
  }
}

TEST(EndpointSpec, DnsNames) {
  EXPECT_TRUE(valid_dns_name("a"));
  EXPECT_TRUE(valid_dns_name("x-1.example.net"));
  EXPECT_TRUE(valid_dns_name(std::string(63, 'a') + ".net"));
  EXPECT_FALSE(valid_dns_name(std::string(64, 'a') + ".net"));
  EXPECT_FALSE(valid_dns_name("example.123"));
  EXPECT_FALSE(valid_dns_name("example.net."));
  EXPECT_FALSE(valid_dns_name("ex ample"));
}

}  // namespace
}  // namespace wgd::mesh
