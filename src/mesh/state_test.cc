#include "mesh/state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "mesh/mesh_test_support.h"

namespace wgd::mesh {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MeshState sample() {
  MeshState s;
  s.ula_prefix = IpPrefix::parse("fdc1:d89e:b128:6a04::/64");
  s.listen_port = 55867;
  s.hosts.emplace("dolores", HostState{crypto::x25519_generate(), IpAddress::parse("10.0.0.1"),
                                       IpAddress::parse("fd00::1")});
  s.hosts.emplace("maeve", HostState{crypto::x25519_generate(), IpAddress::parse("10.0.0.2"),
                                     std::nullopt});
  s.files = {"dolores/privatekey", "dolores/wg0.conf"};
  return s;
}

TEST(State, RoundTrip) {
  const MeshState s = sample();
  const std::string text = render_state(s);
  auto back = parse_state(text, "state.json");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->ula_prefix, s.ula_prefix);
  EXPECT_EQ(back->listen_port, s.listen_port);
  EXPECT_EQ(back->files, s.files);
  ASSERT_EQ(back->hosts.size(), 2u);
  for (const auto& [name, host] : s.hosts) {
    const HostState& b = back->hosts.at(name);
    EXPECT_EQ(crypto::key_to_base64(b.private_key.span()),
              crypto::key_to_base64(host.private_key.span()));
    EXPECT_EQ(b.ipv4, host.ipv4);
    EXPECT_EQ(b.ipv6, host.ipv6);
  }
  EXPECT_EQ(render_state(*back), text);  // stable text: unchanged runs rewrite nothing
}

TEST(State, EmptyWhenMissingAndSavedPrivately) {
  test::TempDir dir;
  auto empty = load_state(dir.path());
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->hosts.empty());
  ASSERT_TRUE(save_state(dir.path(), sample()));
  EXPECT_EQ(test::file_mode(dir.path() / kStateFileName), 0600u);
  auto loaded = load_state(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->hosts.size(), 2u);
}

TEST(State, BadFilesAreErrorsWithoutKeys) {
  struct Case {
    std::string text, error;
  } cases[] = {
      {"{", "state.json: not valid JSON"},
      {"[]", "state.json: not a JSON object"},
      {R"({"version": 2})", "state.json: version: expected 1"},
      {R"({"version": "1"})", "state.json: version: expected 1"},
      {R"({"version": 1, "hosts": []})", "state.json: hosts: not an object"},
      {R"({"version": 1, "files": [3]})", "state.json: files: an entry that is not a string"},
      {R"({"version": 1, "listen_port": 0})", "state.json: listen_port: not a port number"},
      {R"({"version": 1, "ula_prefix": "10.0.0.0/8"})", "state.json: ula_prefix: not an IPv6 prefix"},
      {R"({"version": 1, "hosts": {"a": {"private_key": "AAAA"}}})", "state.json: hosts.a.private_key: not a base64 key"},
      {R"({"version": 1, "hosts": {"a": {"private_key": "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", "ipv4": "fd00::1"}}})", "state.json: hosts.a: ipv4: not an address of the right family"},
      {R"({"version": 1, "files": ["../etc/passwd"]})", "state.json: files: '../etc/passwd' is not a path inside the output directory"},
      {R"({"version": 1, "files": ["/etc/passwd"]})", "state.json: files: '/etc/passwd' is not a path"},
  };
  for (const auto& c : cases) {
    auto r = parse_state(c.text, "state.json");
    ASSERT_FALSE(r) << c.text;
    EXPECT_THAT(r.error().message, HasSubstr(c.error)) << c.text;
    EXPECT_THAT(r.error().message, Not(HasSubstr("yAnz5TF")));
  }
}

}  // namespace
}  // namespace wgd::mesh
