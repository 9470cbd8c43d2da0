// The registry's answer: what is accepted, and every way an answer is rejected as a whole.
#include "serve/fleet/registry_document.h"

#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"

namespace wgd::serve::fleet {
namespace {

std::string key_text(std::uint8_t fill) {
  crypto::PublicKey k{};
  k.fill(fill);
  return crypto::key_to_base64(k);
}

class RegistryDocument : public ::testing::Test {
 protected:
  Result<std::vector<RegistryDevice>> parse(const std::string& body) { return parse_registry(body, server_); }
  std::string error(const std::string& body) {
    auto r = parse(body);
    return r ? std::string("(accepted)") : r.error().message;
  }
  crypto::PublicKey server_ = [] {
    crypto::PublicKey k{};
    k.fill(0xee);
    return k;
  }();
};

TEST_F(RegistryDocument, FoundriesAnswer) {
  auto r = parse(R"([{"name":"gateway-17","pubkey":")" + key_text(1) +
                 R"(","ip":"10.42.42.17","enabled":true,"uuid":"ignored"},
                     {"name":"off","pubkey":")" + key_text(2) + R"(","ip":"10.42.42.18","enabled":false},
                     {"name":"new","pubkey":")" + key_text(3) + R"(","ip":null},
                     {"name":"cidr","pubkey":")" + key_text(4) + R"(","ip":"10.42.42.20/32"},
                     {"name":"empty","pubkey":")" + key_text(5) + R"(","ip":""}])");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].name, "gateway-17");
  EXPECT_EQ(crypto::key_to_base64((*r)[0].public_key), key_text(1));
  EXPECT_EQ((*r)[0].ip->to_string(), "10.42.42.17");
  EXPECT_TRUE((*r)[0].enabled);
  EXPECT_FALSE((*r)[1].enabled);
  EXPECT_FALSE((*r)[2].ip);
  EXPECT_TRUE((*r)[2].enabled);  // not said: enabled
  EXPECT_EQ((*r)[3].ip->to_string(), "10.42.42.20");
  EXPECT_FALSE((*r)[4].ip);
  EXPECT_TRUE(parse("[]"));
}

TEST_F(RegistryDocument, RejectsTheWholeAnswer) {
  const std::string ok = R"({"name":"a","pubkey":")" + key_text(1) + R"("})";
  EXPECT_NE(error("<html>502 Bad Gateway</html>").find("not JSON"), std::string::npos);
  EXPECT_NE(error("").find("not JSON"), std::string::npos);
  EXPECT_NE(error(R"({"devices":[]})").find("expected a JSON array"), std::string::npos);
  EXPECT_NE(error("[" + ok + R"(, 7])").find("devices[1]: not an object"), std::string::npos);
  EXPECT_NE(error(R"([{"pubkey":")" + key_text(1) + R"("}])").find("devices[0].name"), std::string::npos);
  EXPECT_NE(error(R"([{"name":"a b","pubkey":")" + key_text(1) + R"("}])").find("devices[0].name: 'a b' cannot name a peer"),
            std::string::npos);
  EXPECT_NE(error("[" + ok + R"(, {"name":"b","pubkey":"not-a-key"}])").find("devices[1].pubkey (b): not a WireGuard public key"),
            std::string::npos);
  EXPECT_NE(error(R"([{"name":"b","pubkey":")" + key_text(0) + R"("}])").find("all zeros"), std::string::npos);
  EXPECT_NE(error(R"([{"name":"b","pubkey":")" + crypto::key_to_base64(server_) + R"("}])").find("server's own public key"),
            std::string::npos);
  EXPECT_NE(error(R"([{"name":"b","pubkey":")" + key_text(2) + R"(","ip":"10.42.42"}])").find("devices[0].ip (b): '10.42.42' is not an IPv4 address"),
            std::string::npos);
  EXPECT_NE(error(R"([{"name":"b","pubkey":")" + key_text(2) + R"(","ip":"fd00::2"}])").find("not an IPv4 address"),
            std::string::npos);
  EXPECT_NE(error(R"([{"name":"b","pubkey":")" + key_text(2) + R"(","enabled":"yes"}])").find("devices[0].enabled (b)"),
            std::string::npos);
  EXPECT_NE(error("[" + ok + R"(, {"name":"A","pubkey":")" + key_text(2) + R"("}])").find("devices[1].name: 'A' is also devices[0]"),
            std::string::npos);
  EXPECT_NE(error("[" + ok + R"(, {"name":"b","pubkey":")" + key_text(1) + R"("}])").find("the same key as devices[0]"),
            std::string::npos);
  EXPECT_NE(error(R"([{"name":"a","pubkey":")" + key_text(1) + R"(","ip":"10.0.0.2"},{"name":"b","pubkey":")" +
                  key_text(2) + R"(","ip":"10.0.0.2"}])")
                .find("10.0.0.2 is also devices[0]'s"),
            std::string::npos);
}

TEST_F(RegistryDocument, ErrorsStayShortAndNeverQuoteKeys) {
  const std::string secretish(5000, 'A');
  const std::string e = error(secretish);
  EXPECT_LT(e.size(), 300u);
  const std::string bad_key = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";  // 44 chars, 33 bytes
  EXPECT_EQ(error(R"([{"name":"b","pubkey":")" + bad_key + R"("}])").find(bad_key), std::string::npos);
}

}  // namespace
}  // namespace wgd::serve::fleet
