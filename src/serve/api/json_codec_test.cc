// The JSON of the native API: requests parsed into NewPeer/PeerUpdate with an error naming the
// field for every bad value, documents out, RFC 3339, and service errors mapped to HTTP.
#include "serve/api/json_codec.h"

#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "serve/peer_service_impl.h"
#include "serve/store/store_error.h"

namespace wgd::serve::api {
namespace {

using json = nlohmann::json;

TEST(Rfc3339, FormatsAndParses) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20Z"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14t22:13:20z"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14 22:13:20Z"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T23:13:20.123456+01:00"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T20:13:20-02:00"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00Z"), 951782400);
  for (std::int64_t t : {0LL, 86399LL, 4102444800LL, 1234567890LL}) EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t);
  for (auto bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                   "2023-11-14T24:00:00Z", "2023-11-14T22:13:20+0100", "2023-11-14T22:13:20Zjunk",
                   "2023-11-14T22:13:20.Z", "tomorrow"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(JsonRequests, CreateWithEveryField) {
  const auto priv = crypto::x25519_generate();
  const std::string priv_text = crypto::key_to_base64(priv.span());
  auto body = parse_json_object(R"({"name":"alice","private_key":")" + priv_text +
                                R"(","ipv4":"10.8.0.9","ipv6":"none","allowed_ips":["192.168.1.0/24"],
      "client_allowed_ips":"10.8.0.0/24, 192.168.0.0/16","dns":["1.1.1.1","home.arpa"],
      "persistent_keepalive":15,"description":"laptop","enabled":false,
      "expires_at":"2030-01-01T00:00:00Z","managed_by":"provisioning","generate_preshared_key":false})");
  ASSERT_TRUE(body);
  auto req = parse_create_request(*body);
  ASSERT_TRUE(req) << req.error().message;
  const NewPeer& p = req->spec;
  EXPECT_EQ(p.name, "alice");
  ASSERT_TRUE(p.keys.private_key);
  EXPECT_EQ(crypto::x25519_public(*p.keys.private_key), crypto::x25519_public(priv));
  EXPECT_EQ(p.ipv4.mode, AddressRequest::Mode::kExplicit);
  EXPECT_EQ(p.ipv4.address.to_string(), "10.8.0.9");
  EXPECT_EQ(p.ipv6.mode, AddressRequest::Mode::kNone);
  EXPECT_EQ(p.extra_allowed_ips.size(), 1u);
  EXPECT_EQ(p.client_allowed_ips.size(), 2u);
  EXPECT_EQ(p.dns, (std::vector<std::string>{"1.1.1.1", "home.arpa"}));
  EXPECT_EQ(p.persistent_keepalive, 15);
  EXPECT_FALSE(p.enabled);
  EXPECT_EQ(p.expires_at, 1893456000);
  EXPECT_EQ(p.managed_by, "provisioning");
  EXPECT_FALSE(req->generate_preshared_key);
  EXPECT_TRUE(req->keepalive_given);

  auto minimal = parse_create_request(json{{"name", "bob"}});
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->spec.ipv4.mode, AddressRequest::Mode::kAuto);
  EXPECT_TRUE(minimal->generate_preshared_key);
  EXPECT_FALSE(minimal->keepalive_given);
  auto unix_time = parse_create_request(json{{"name", "c"}, {"expires_at", 1893456000}, {"persistent_keepalive", nullptr}});
  ASSERT_TRUE(unix_time);
  EXPECT_EQ(unix_time->spec.expires_at, 1893456000);
  EXPECT_FALSE(unix_time->spec.persistent_keepalive);
  EXPECT_TRUE(unix_time->keepalive_given);
}

TEST(JsonRequests, EveryBadFieldIsNamed) {
  const std::string secret = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==";
  struct Case {
    json body;
    std::string field;
  } cases[] = {
      {json::object(), "name"},
      {{{"name", 5}}, "name"},
      {{{"name", "a"}, {"colour", "red"}}, "colour"},
      {{{"name", "a"}, {"public_key", "not-a-key"}}, "public_key"},
      {{{"name", "a"}, {"public_key", 7}}, "public_key"},
      {{{"name", "a"}, {"private_key", secret.substr(0, 40)}}, "private_key"},
      {{{"name", "a"}, {"preshared_key", "short"}}, "preshared_key"},
      {{{"name", "a"}, {"ipv4", "10.8.0.300"}}, "ipv4"},
      {{{"name", "a"}, {"ipv4", "fd00::1"}}, "ipv4"},
      {{{"name", "a"}, {"ipv6", "10.8.0.3"}}, "ipv6"},
      {{{"name", "a"}, {"ipv4", 3}}, "ipv4"},
      {{{"name", "a"}, {"allowed_ips", {"10.0.0.0/33"}}}, "allowed_ips"},
      {{{"name", "a"}, {"allowed_ips", {1, 2}}}, "allowed_ips"},
      {{{"name", "a"}, {"client_allowed_ips", "bogus"}}, "client_allowed_ips"},
      {{{"name", "a"}, {"dns", 53}}, "dns"},
      {{{"name", "a"}, {"persistent_keepalive", 70000}}, "persistent_keepalive"},
      {{{"name", "a"}, {"persistent_keepalive", -1}}, "persistent_keepalive"},
      {{{"name", "a"}, {"persistent_keepalive", 2.5}}, "persistent_keepalive"},
      {{{"name", "a"}, {"persistent_keepalive", "25"}}, "persistent_keepalive"},
      {{{"name", "a"}, {"enabled", "yes"}}, "enabled"},
      {{{"name", "a"}, {"expires_at", "next week"}}, "expires_at"},
      {{{"name", "a"}, {"expires_at", -5}}, "expires_at"},
      {{{"name", "a"}, {"description", 1}}, "description"},
      {{{"name", "a"}, {"generate_preshared_key", 1}}, "generate_preshared_key"},
  };
  for (const auto& c : cases) {
    auto r = parse_create_request(c.body);
    ASSERT_FALSE(r) << c.body.dump() << " was accepted";
    EXPECT_EQ(r.error().code, "invalid_field");
    EXPECT_EQ(r.error().field, c.field) << c.body.dump();
    EXPECT_EQ(r.error().message.rfind(c.field + ": ", 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find(secret.substr(0, 20)), std::string::npos) << r.error().message;
  }
}

TEST(JsonRequests, UpdateNullsClearAndRevision) {
  auto u = parse_update_request(json{{"preshared_key", nullptr}, {"persistent_keepalive", nullptr},
                                     {"expires_at", nullptr}, {"dns", nullptr}, {"description", nullptr},
                                     {"ipv6", nullptr}, {"revision", 3}});
  ASSERT_TRUE(u) << u.error().message;
  ASSERT_TRUE(u->update.preshared_key);
  EXPECT_FALSE(*u->update.preshared_key);
  ASSERT_TRUE(u->update.persistent_keepalive);
  EXPECT_FALSE(*u->update.persistent_keepalive);
  ASSERT_TRUE(u->update.expires_at);
  EXPECT_FALSE(*u->update.expires_at);
  EXPECT_EQ(u->update.dns, std::vector<std::string>{});
  EXPECT_EQ(u->update.description, "");
  EXPECT_EQ(u->update.ipv6->mode, AddressRequest::Mode::kNone);
  EXPECT_EQ(u->update.expected_revision, 3);
  EXPECT_FALSE(u->update.name);
  EXPECT_FALSE(u->update.ipv4);

  auto empty = parse_update_request(json::object());
  ASSERT_TRUE(empty);
  auto bad = parse_update_request(json{{"revision", "3"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "revision");
  bad = parse_update_request(json{{"name", nullptr}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "name");
  bad = parse_update_request(json{{"public_key", nullptr}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "public_key");
}

TEST(JsonRequests, BodyMustBeAJsonObject) {
  for (auto text : {"", "{", "[1,2]", "\"name\"", "null", "{\"name\":\"a\",}"}) {
    auto r = parse_json_object(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, "invalid_json");
    EXPECT_TRUE(r.error().field.empty());
  }
  EXPECT_TRUE(parse_json_object("{}"));
}

TEST(JsonRequests, PeerRefs) {
  const auto key = crypto::x25519_public(crypto::x25519_generate());
  EXPECT_EQ(std::get<crypto::PublicKey>(parse_peer_ref(crypto::key_to_base64(key))), key);
  EXPECT_EQ(std::get<std::int64_t>(parse_peer_ref("17")), 17);
  EXPECT_EQ(std::get<std::string>(parse_peer_ref("alice")), "alice");
  EXPECT_EQ(std::get<std::string>(parse_peer_ref("99999999999999999999")), "99999999999999999999");
}

TEST(JsonDocuments, PeerNeverCarriesSecrets) {
  PeerView v;
  v.record.id = 3;
  v.record.name = "alice";
  v.record.private_key = crypto::x25519_generate();
  v.record.public_key = crypto::x25519_public(*v.record.private_key);
  v.record.preshared_key = crypto::x25519_generate();  // any 32 secret bytes
  v.record.ipv4 = IpAddress::parse("10.8.0.2");
  v.record.extra_allowed_ips = {*IpPrefix::parse("192.168.9.0/24")};
  v.record.expires_at = 1700000000;
  v.record.created_at = v.record.updated_at = 1600000000;
  v.live.on_interface = true;
  v.live.latest_handshake = 1700000100;
  v.live.endpoint = Endpoint::parse("203.0.113.4:5555");
  const json j = peer_to_json(v, 1700000150);
  const std::string text = j.dump();
  EXPECT_EQ(text.find(crypto::key_to_base64(v.record.private_key->span())), std::string::npos);
  EXPECT_EQ(text.find(crypto::key_to_base64(v.record.preshared_key->span())), std::string::npos);
  EXPECT_TRUE(j["has_private_key"].get<bool>());
  EXPECT_TRUE(j["has_preshared_key"].get<bool>());
  EXPECT_EQ(j["ipv4"], "10.8.0.2");
  EXPECT_TRUE(j["ipv6"].is_null());
  EXPECT_EQ(j["allowed_ips"], json({"10.8.0.2/32", "192.168.9.0/24"}));
  EXPECT_EQ(j["extra_allowed_ips"], json({"192.168.9.0/24"}));
  EXPECT_EQ(j["expires_at"], "2023-11-14T22:13:20Z");
  EXPECT_TRUE(j["expired"].get<bool>());
  EXPECT_TRUE(j["persistent_keepalive"].is_null());
  EXPECT_EQ(j["status"]["endpoint"], "203.0.113.4:5555");
  EXPECT_EQ(j["status"]["latest_handshake"], "2023-11-14T22:15:00Z");
  EXPECT_TRUE(j["status"]["connected"].get<bool>());
}

TEST(HttpErrors, StoreErrorsMapToStatusCodeAndField) {
  struct Case {
    Error error;
    int status;
    std::string code, field;
  } cases[] = {
      {store_fail(StoreErrorKind::kNotFound, "peer 9 not found").error(), 404, "not_found", ""},
      {store_fail(StoreErrorKind::kConflict, "name: 'a' is already taken").error(), 409, "conflict", "name"},
      {store_fail(StoreErrorKind::kConflict, "ipv4: 10.8.0.7 is already taken by peer a").error(), 409, "conflict", "ipv4"},
      {store_fail(StoreErrorKind::kSubnetFull, "ipv4: no free address left in 10.8.0.0/30").error(), 409, "subnet_full", "ipv4"},
      {store_fail(StoreErrorKind::kInvalid, "extra_allowed_ips: 10.8.0.0/25 lies inside").error(), 400, "invalid_field", "allowed_ips"},
      {store_fail(StoreErrorKind::kConflict, "revision: peer 1 is at revision 4, not 3").error(), 409, "conflict", "revision"},
      {store_fail(StoreErrorKind::kIo, "peers: database is busy").error(), 500, "internal", ""},
      {Error{"peer alice: the client holds its private key", kNoPrivateKeyErrno}, 409, "no_private_key", ""},
  };
  for (const auto& c : cases) {
    const HttpError h = http_error_from(c.error);
    EXPECT_EQ(h.status, c.status) << c.error.message;
    EXPECT_EQ(h.code, c.code) << c.error.message;
    EXPECT_EQ(h.field, c.field) << c.error.message;
  }
  EXPECT_EQ(http_error_from(cases[4].error).message.rfind("allowed_ips: ", 0), 0u);
}

}  // namespace
}  // namespace wgd::serve::api
