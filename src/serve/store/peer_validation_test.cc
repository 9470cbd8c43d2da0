#include "serve/store/peer_validation.h"

#include <gtest/gtest.h>

#include "crypto/x25519.h"
#include "serve/store/store_error.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve {
namespace {

using testing::named;
using testing::test_pool;

IpPrefix prefix(std::string_view s) {
  return *IpPrefix::parse(s);
}

void expect_invalid(const Result<void>& r, std::string_view field) {
  ASSERT_FALSE(r);
  EXPECT_EQ(store_error_kind(r.error()), StoreErrorKind::kInvalid);
  EXPECT_TRUE(r.error().message.starts_with(std::string(field) + ":")) << r.error().message;
}

void expect_invalid_draft(const Result<PeerRecord>& r, std::string_view field) {
  expect_invalid(r ? Result<void>{} : Result<void>(std::unexpected(r.error())), field);
}

TEST(PeerValidation, Names) {
  for (std::string_view ok : {"a", "alice", "Alice-Laptop", "host_1.example", "0day"})
    EXPECT_TRUE(validate_peer_name(ok)) << ok;
  EXPECT_TRUE(validate_peer_name(std::string(63, 'x')));
  expect_invalid(validate_peer_name(""), "name");
  expect_invalid(validate_peer_name(std::string(64, 'a')), "name");
  expect_invalid(validate_peer_name("-alice"), "name");
  expect_invalid(validate_peer_name(".alice"), "name");
  expect_invalid(validate_peer_name("_alice"), "name");
  expect_invalid(validate_peer_name("al ice"), "name");
  expect_invalid(validate_peer_name("al/ice"), "name");
  expect_invalid(validate_peer_name("alice\n"), "name");
  expect_invalid(validate_peer_name("al\xc3\xa9"), "name");
  EXPECT_EQ(validate_peer_name("al ice").error().message,
            "name: 'al ice' has a character outside [A-Za-z0-9_.-]");
}

TEST(PeerValidation, DnsDescriptionManagedBy) {
  for (std::string_view ok :
       {"1.1.1.1", "2001:db8::53", "corp.example", "corp.example.", "a-b.c", "lan"})
    EXPECT_TRUE(validate_dns_entry(ok)) << ok;
  for (std::string_view bad : {"", "a..b", "-a.example", "a b", "a,b", ".", "a.-b", "1.2.3.4/24"})
    expect_invalid(validate_dns_entry(bad), "dns");
  EXPECT_TRUE(validate_description("Bob's phone (issued 2024)"));
  expect_invalid(validate_description("line\nPostUp = rm -rf /"), "description");
  expect_invalid(validate_description(std::string(1025, 'x')), "description");
  EXPECT_TRUE(validate_managed_by("fleet:site-a"));
  expect_invalid(validate_managed_by(""), "managed_by");
}

TEST(PeerValidation, DraftGeneratesKeysWhenNoneGiven) {
  auto d = draft_peer(named("alice"), test_pool());
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_TRUE(d->private_key);
  EXPECT_EQ(d->public_key, crypto::x25519_public(*d->private_key));
}

TEST(PeerValidation, DraftKeyRules) {
  crypto::PrivateKey priv = crypto::x25519_generate();
  crypto::PublicKey pub = crypto::x25519_public(priv);

  NewPeer client_key = named("a");
  client_key.keys.public_key = pub;
  auto d = draft_peer(client_key, test_pool());
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->private_key);  // the server never has the client's private key
  EXPECT_EQ(d->public_key, pub);

  NewPeer only_private = named("b");
  only_private.keys.private_key = priv.clone();
  d = draft_peer(only_private, test_pool());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->public_key, pub);

  NewPeer mismatch = named("c");
  mismatch.keys.private_key = priv.clone();
  mismatch.keys.public_key = crypto::x25519_public(crypto::x25519_generate());
  auto bad = draft_peer(mismatch, test_pool());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "public_key: does not belong to the given private_key");

  NewPeer zero = named("d");
  zero.keys.public_key = crypto::PublicKey{};
  expect_invalid_draft(draft_peer(zero, test_pool()), "public_key");
}

TEST(PeerValidation, DraftNormalisesAndChecksLists) {
  NewPeer p = named("site-a");
  p.extra_allowed_ips = {prefix("192.168.10.77/24"), prefix("0.0.0.0/0"), prefix("10.0.0.0/8")};
  p.client_allowed_ips = {prefix("10.8.0.9/24")};
  p.persistent_keepalive = 0;
  auto d = draft_peer(p, test_pool());
  ASSERT_TRUE(d) << d.error().message;
  // Host bits cleared; supersets of the tunnel subnet are fine (host routes win in WireGuard).
  EXPECT_EQ(d->extra_allowed_ips[0].to_string(), "192.168.10.0/24");
  EXPECT_EQ(d->client_allowed_ips[0].to_string(), "10.8.0.0/24");
  EXPECT_FALSE(d->persistent_keepalive);

  NewPeer inside = named("x");
  inside.extra_allowed_ips = {prefix("10.8.0.128/25")};
  auto r = draft_peer(inside, test_pool());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "extra_allowed_ips: 10.8.0.128/25 lies inside the tunnel subnet 10.8.0.0/24");

  NewPeer twice = named("y");
  twice.extra_allowed_ips = {prefix("192.168.1.0/24"), prefix("192.168.1.5/24")};
  r = draft_peer(twice, test_pool());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "extra_allowed_ips: 192.168.1.0/24 is listed twice");

  NewPeer dns = named("z");
  dns.dns = {"1.1.1.1", "bad..name"};
  expect_invalid_draft(draft_peer(dns, test_pool()), "dns");

  NewPeer expiry = named("w");
  expiry.expires_at = -5;
  expect_invalid_draft(draft_peer(expiry, test_pool()), "expires_at");
}

TEST(PeerValidation, ApplyUpdateChangesOnlyGivenFields) {
  auto d = draft_peer(named("alice"), test_pool());
  ASSERT_TRUE(d);
  PeerRecord r = std::move(*d);
  r.description = "old";
  PeerUpdate u;
  u.enabled = false;
  u.persistent_keepalive = std::optional<std::uint16_t>(25);
  ASSERT_TRUE(apply_update(r, u, test_pool()));
  EXPECT_EQ(r.name, "alice");
  EXPECT_EQ(r.description, "old");
  EXPECT_FALSE(r.enabled);
  EXPECT_EQ(r.persistent_keepalive, 25);

  PeerUpdate clear;
  clear.persistent_keepalive = std::optional<std::uint16_t>{};
  ASSERT_TRUE(apply_update(r, clear, test_pool()));
  EXPECT_FALSE(r.persistent_keepalive);

  PeerUpdate bad;
  bad.name = "bad name";
  expect_invalid(apply_update(r, bad, test_pool()), "name");
}

TEST(PeerRecord, CloneCopiesSecretsAndActiveAtHonoursExpiry) {
  auto d = draft_peer(named("alice"), test_pool());
  ASSERT_TRUE(d);
  d->preshared_key = crypto::PresharedKey{};
  d->preshared_key->data()[0] = 7;
  d->expires_at = 1000;
  PeerRecord c = d->clone();
  ASSERT_TRUE(c.private_key && c.preshared_key);
  EXPECT_EQ(std::memcmp(c.private_key->data(), d->private_key->data(), 32), 0);
  EXPECT_EQ(c.preshared_key->data()[0], 7);
  EXPECT_TRUE(c.active_at(999));
  EXPECT_FALSE(c.active_at(1000));
  c.enabled = false;
  EXPECT_FALSE(c.active_at(0));
  c.ipv4 = IpAddress::parse("10.8.0.2");
  c.extra_allowed_ips = {prefix("192.168.1.0/24")};
  auto allowed = c.server_allowed_ips();
  ASSERT_EQ(allowed.size(), 2u);
  EXPECT_EQ(allowed[0].to_string(), "10.8.0.2/32");
}

}  // namespace
}  // namespace wgd::serve
