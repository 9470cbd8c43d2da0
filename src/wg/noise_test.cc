// The Noise layer against the published Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s test vector
// (cacophony format, tests/vectors/): handshake hash, and the transport keys checked through
// every published transport ciphertext, in both roles.
#include "wg/noise.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "crypto/aead.h"
#include "crypto/test_hex.h"
#include "crypto/x25519.h"

#ifndef WGD_SOURCE_DIR
#error "WGD_SOURCE_DIR must point at the repository"
#endif

namespace wgd::wg::noise {
namespace {

using test::hex;
using test::unhex;

nlohmann::json load_vectors() {
  std::ifstream f(WGD_SOURCE_DIR "/tests/vectors/noise_ikpsk2_25519_chachapoly_blake2s.json");
  if (!f) throw std::runtime_error("missing Noise test vector file");
  return nlohmann::json::parse(f);
}

PrivateKey key(const std::string& h) {
  const auto a = test::unhex_array<32>(h);
  return PrivateKey(std::span<const std::uint8_t, 32>(a));
}

TEST(NoiseIkPsk2, PublishedVectorBothRoles) {
  const auto doc = load_vectors();
  ASSERT_FALSE(doc["vectors"].empty());
  for (const auto& v : doc["vectors"]) {
    ASSERT_EQ(v["protocol_name"], "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s");
    const std::string name = v["protocol_name"];
    const Bytes prologue = unhex(v["init_prologue"].get<std::string>());
    const Bytes psk = unhex(v["init_psks"][0].get<std::string>());
    const PrivateKey s_i = key(v["init_static"]);
    const PrivateKey e_i = key(v["init_ephemeral"]);
    const PrivateKey s_r = key(v["resp_static"]);
    const PrivateKey e_r = key(v["resp_ephemeral"]);
    const PublicKey s_i_pub = crypto::x25519_public(s_i);
    const PublicKey s_r_pub = crypto::x25519_public(s_r);
    ASSERT_EQ(hex(s_r_pub), v["init_remote_static"].get<std::string>());
    const auto& msgs = v["messages"];
    ASSERT_GE(msgs.size(), 2u);

    // Initiator writes message 1.
    SymmetricState init = initial_state(name, prologue, s_r_pub);
    const Bytes p0 = unhex(msgs[0]["payload"].get<std::string>());
    PublicKey e_pub;
    Bytes enc_s(48), enc_p0(p0.size() + 16);
    ASSERT_TRUE(initiator_write_1(init, e_i, s_r_pub, s_i_pub, *crypto::x25519(s_i, s_r_pub), p0,
                                  e_pub, enc_s, enc_p0));
    Bytes m0(e_pub.begin(), e_pub.end());
    m0.insert(m0.end(), enc_s.begin(), enc_s.end());
    m0.insert(m0.end(), enc_p0.begin(), enc_p0.end());
    EXPECT_EQ(hex(m0), msgs[0]["ciphertext"].get<std::string>());

    // Responder reads it.
    SymmetricState resp = initial_state(name, prologue, s_r_pub);
    PublicKey learnt;
    ASSERT_TRUE(responder_read_1a(resp, s_r, e_pub, enc_s, learnt));
    EXPECT_EQ(learnt, s_i_pub);
    Bytes got_p0(p0.size());
    ASSERT_TRUE(responder_read_1b(resp, *crypto::x25519(s_r, s_i_pub), enc_p0, got_p0));
    EXPECT_EQ(got_p0, p0);

    // Responder writes message 2; initiator reads it.
    const Bytes p1 = unhex(msgs[1]["payload"].get<std::string>());
    PublicKey e_r_pub;
    Bytes enc_p1(p1.size() + 16);
    ASSERT_TRUE(responder_write_2(resp, e_r, e_pub, s_i_pub, psk, p1, e_r_pub, enc_p1));
    Bytes m1(e_r_pub.begin(), e_r_pub.end());
    m1.insert(m1.end(), enc_p1.begin(), enc_p1.end());
    EXPECT_EQ(hex(m1), msgs[1]["ciphertext"].get<std::string>());
    Bytes got_p1(p1.size());
    ASSERT_TRUE(initiator_read_2(init, e_i, s_i, e_r_pub, psk, enc_p1, got_p1));
    EXPECT_EQ(got_p1, p1);

    EXPECT_EQ(hex(init.h), v["handshake_hash"].get<std::string>());
    EXPECT_EQ(hex(resp.h), v["handshake_hash"].get<std::string>());

    // Transport: messages alternate initiator, responder, ...; each direction counts its nonces.
    auto [i_send, i_recv] = split(init);
    auto [r_from_i, r_send] = split(resp);  // the responder receives with the first key
    EXPECT_EQ(hex(i_send.span()), hex(r_from_i.span()));
    EXPECT_EQ(hex(i_recv.span()), hex(r_send.span()));
    std::uint64_t n_i = 0, n_r = 0;
    for (std::size_t m = 2; m < msgs.size(); ++m) {
      const Bytes payload = unhex(msgs[m]["payload"].get<std::string>());
      const bool from_initiator = m % 2 == 0;
      const auto& k = from_initiator ? i_send : r_send;  // each side seals with its own copy
      const std::uint64_t n = from_initiator ? n_i++ : n_r++;
      Bytes c(payload.size() + 16);
      crypto::chacha20poly1305_seal(c, k.span(), crypto::counter_nonce(n), payload, {});
      EXPECT_EQ(hex(c), msgs[m]["ciphertext"].get<std::string>()) << "message " << m;
      Bytes back(payload.size());
      const auto& rk = from_initiator ? r_from_i : i_recv;
      EXPECT_TRUE(crypto::chacha20poly1305_open(back, rk.span(), crypto::counter_nonce(n), c, {}));
      EXPECT_EQ(back, payload);
    }
  }
}

TEST(NoiseIkPsk2, WrongPskFailsAtTheInitiator) {
  const PrivateKey s_i = crypto::x25519_generate(), s_r = crypto::x25519_generate();
  const PrivateKey e_i = crypto::x25519_generate(), e_r = crypto::x25519_generate();
  const PublicKey s_i_pub = crypto::x25519_public(s_i), s_r_pub = crypto::x25519_public(s_r);
  const Bytes psk_a(32, 1), psk_b(32, 2), prologue{'p'};
  SymmetricState init = initial_state("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s", prologue, s_r_pub);
  SymmetricState resp = init.clone();
  PublicKey e_pub, learnt, e_r_pub;
  Bytes enc_s(48), enc_p(16), enc_p1(16);
  ASSERT_TRUE(initiator_write_1(init, e_i, s_r_pub, s_i_pub, *crypto::x25519(s_i, s_r_pub), {},
                                e_pub, enc_s, enc_p));
  ASSERT_TRUE(responder_read_1a(resp, s_r, e_pub, enc_s, learnt));
  ASSERT_TRUE(responder_read_1b(resp, *crypto::x25519(s_r, s_i_pub), enc_p, {}));
  ASSERT_TRUE(responder_write_2(resp, e_r, e_pub, s_i_pub, psk_a, {}, e_r_pub, enc_p1));
  EXPECT_FALSE(initiator_read_2(init, e_i, s_i, e_r_pub, psk_b, enc_p1, {}));
}

}  // namespace
}  // namespace wgd::wg::noise
