// The protocol core's receive path under attack: a Device (B) with one configured peer (A, a
// second Device on the same fake clock), driven by a program read from the input (the language
// is in device_program.h). Besides raw attacker datagrams, the program can mutate or replay A's
// real datagrams, restamp mac1 so that a mutation reaches the Noise layer, and seal chosen
// plaintexts with A's real session keys, so inputs get past mac1 and AEAD into deep states.
//
// Every datagram B receives is classified by what the harness knows independently of B:
// authentic (its Noise part is that of an initiation/response A sent, or it is a transport
// message A or the harness sealed with A's keys) and new (not an initiation B answered or a
// response B took before, not a transport message for an expired session or with a counter its
// replay window has seen) or not. Then B must keep these promises:
// - nothing unauthenticated makes B emit a datagram, except one cookie reply while under load,
//   only for a handshake message with a valid mac1, addressed to the source, for that
//   message's sender index and bound to its mac1;
// - nothing unauthenticated or replayed changes the peer's state (endpoint, counters, sessions,
//   handshake and its replay/flood clocks, timers, replay windows);
// - an authentic initiation gets at most one response (never two for the same Noise content:
//   replay protection), and under load only when it carries a cookie;
// - B delivers only packets A sent (or the harness sealed), each at most once, with an inner
//   source inside A's allowed IPs at B, and only while receiving transport data;
// - whatever B sends that is not a cookie reply goes to the endpoint B has for A;
// - tick(now) always asks to be called again strictly later than now.
// The keys, ephemerals and indices come from an RNG seeded with a hash of the whole input, so
// an input cannot carry authentic messages for its own run: only the harness can make them.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "byte_reader.h"
#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/x25519.h"
#include "device_program.h"
#include "fuzz_check.h"
#include "wg/device.h"
#include "wg/ip_header.h"
#include "wg/test_support.h"

namespace {

using namespace wgd;
using namespace wgd::wg;
using namespace wgd::fuzz;

constexpr int kMaxOps = 64;

// WGD_FUZZ_TRACE=1 prints what each operation did: for reading a reproducer, not for fuzzing.
const bool kTrace = std::getenv("WGD_FUZZ_TRACE") != nullptr;
#define TRACE(...)                                 \
  do {                                             \
    if (kTrace) std::fprintf(stderr, __VA_ARGS__); \
  } while (0)

const char* op_name(DeviceOp op) {
  static const char* const names[] = {"raw",    "mutated", "reseal", "pump",       "send_a",
                                      "send_b", "tick",    "replay", "reconfigure"};
  return op < DeviceOp::kCount ? names[static_cast<int>(op)] : "?";
}

const Endpoint kEpA = *Endpoint::parse("192.0.2.1:51820");
const Endpoint kEpA2 = *Endpoint::parse("192.0.2.11:40000");  // A after roaming
const Endpoint kEpB = *Endpoint::parse("192.0.2.2:51820");
const Endpoint kEpX = *Endpoint::parse("203.0.113.9:666");  // the attacker

// A's allowed IPs at B: the harness switches between these.
const std::vector<std::vector<std::string>> kPresets = {
    {"10.0.0.1/32", "fd00::1/128"}, {"10.0.0.0/24"}, {}};

std::vector<IpPrefix> prefixes(const std::vector<std::string>& s) {
  std::vector<IpPrefix> out;
  for (const auto& p : s) out.push_back(*IpPrefix::parse(p));
  return out;
}

// The peer state that nothing unauthenticated may change.
struct PeerSnapshot {
  std::optional<Endpoint> endpoint;
  std::uint64_t rx = 0, tx = 0;
  const Keypair *previous = nullptr, *current = nullptr, *next = nullptr;
  std::uint64_t replay[3] = {};
  HandshakeState handshake = HandshakeState::kZeroed;
  std::uint32_t handshake_index = 0;
  Tai64n latest_timestamp{};
  Nanos last_initiation_consumed = 0;
  Nanos timers[5] = {};
  int attempts = 0;
  Nanos last_handshake_wall = 0;
  std::size_t staged = 0;

  bool operator==(const PeerSnapshot&) const = default;
};

PeerSnapshot snapshot(const Peer& p) {
  PeerSnapshot s;
  s.endpoint = p.endpoint;
  s.rx = p.rx_bytes;
  s.tx = p.tx_bytes;
  s.previous = p.sessions.previous.get();
  s.current = p.sessions.current.get();
  s.next = p.sessions.next.get();
  const Keypair* kps[] = {s.previous, s.current, s.next};
  for (int i = 0; i < 3; ++i) s.replay[i] = kps[i] ? kps[i]->replay.highest() : 0;
  s.handshake = p.handshake.state;
  s.handshake_index = p.handshake.local_index;
  s.latest_timestamp = p.handshake.latest_timestamp;
  s.last_initiation_consumed = p.handshake.last_initiation_consumed;
  const PeerTimers& t = p.timers;
  Nanos ts[] = {t.retransmit_handshake, t.send_keepalive, t.new_handshake, t.zero_key_material,
                t.persistent_keepalive};
  std::copy(std::begin(ts), std::end(ts), s.timers);
  s.attempts = t.handshake_attempts;
  s.last_handshake_wall = p.last_handshake_wall;
  s.staged = p.staged.size();
  return s;
}

// The Noise-covered part of a handshake message (what a mac restamp or an index change leaves).
Bytes noise_part(ByteSpan d) {
  if (message_type(d) == kMessageInitiation && d.size() == kInitiationSize)
    return Bytes(d.begin() + offsetof(MessageInitiation, ephemeral),
                 d.begin() + offsetof(MessageInitiation, mac1));
  if (message_type(d) == kMessageResponse && d.size() == kResponseSize)
    return Bytes(d.begin() + offsetof(MessageResponse, ephemeral),
                 d.begin() + offsetof(MessageResponse, mac1));
  return {};
}

struct MacLayout {
  std::size_t mac1_at = 0, mac2_at = 0;
};
std::optional<MacLayout> mac_layout(ByteSpan d) {
  if (message_type(d) == kMessageInitiation && d.size() == kInitiationSize)
    return MacLayout{mac1_offset<MessageInitiation>(), mac2_offset<MessageInitiation>()};
  if (message_type(d) == kMessageResponse && d.size() == kResponseSize)
    return MacLayout{mac1_offset<MessageResponse>(), mac2_offset<MessageResponse>()};
  return std::nullopt;
}

// How the harness made a datagram, where that matters for what B may do with it.
struct Provenance {
  bool resealed = false;      // a transport message the harness sealed with A's key
  bool cookie_stamp = false;  // the harness restamped it holding a cookie from B
};

class World {
 public:
  World(std::uint64_t seed, std::uint8_t setup)
      : rng_a_(seed), rng_b_(seed ^ 0x5bd1e995u), a_(rng_a_), b_(rng_b_) {
    key_a_ = key_from(rng_a_);
    key_b_ = key_from(rng_b_);
    pub_a_ = crypto::x25519_public(key_a_);
    pub_b_ = crypto::x25519_public(key_b_);
    x_maker_.emplace(pub_b_);
    if (setup & kSetupPsk) psk_a_.data()[0] = psk_b_.data()[0] = 0x42;

    DeviceChange ca;
    ca.private_key = key_a_.clone();
    PeerChange pa;
    pa.public_key = pub_b_;
    pa.endpoint = kEpB;
    pa.preshared_key = psk_a_.clone();
    pa.allowed_ips = prefixes({"10.0.0.2/32", "fd00::2/128"});
    if (setup & kSetupKeepaliveA) pa.persistent_keepalive = 25;
    ca.peers.push_back(std::move(pa));
    FUZZ_CHECK(a_.apply(ca, now_, out_a_).has_value());
    collect_from_a();

    DeviceChange cb;
    cb.private_key = key_b_.clone();
    cb.peers.push_back(
        b_peer_change(setup & kSetupBKnowsEndpoint ? std::optional(kEpA) : std::nullopt));
    FUZZ_CHECK(b_.apply(cb, now_, out_b_).has_value());
    FUZZ_CHECK(out_b_.sent.empty() && out_b_.delivered.empty());
  }

  void run(ByteReader& in) {
    for (int op = 0; op < kMaxOps && !in.empty(); ++op) {
      const auto which = static_cast<DeviceOp>(in.u8() % static_cast<int>(DeviceOp::kCount));
      TRACE("op %d: %s (t=%.3fs)\n", op, op_name(which), static_cast<double>(now_.mono) / kSecond);
      switch (which) {
        case DeviceOp::kRaw:
          op_raw(in);
          break;
        case DeviceOp::kMutated:
          op_mutated(in);
          break;
        case DeviceOp::kReseal:
          op_reseal(in);
          break;
        case DeviceOp::kPump:
          op_pump(in);
          break;
        case DeviceOp::kSendA:
          op_send_a(in);
          break;
        case DeviceOp::kSendB:
          op_send_b(in);
          break;
        case DeviceOp::kTick:
          op_tick(in);
          break;
        case DeviceOp::kReplay:
          op_replay(in);
          break;
        case DeviceOp::kReconfigure:
          op_reconfigure(in);
          break;
        case DeviceOp::kCount:
          break;
      }
    }
    // Whatever is still queued is delivered, so each input ends with a settled exchange.
    pump(0, 0);
    if (kTrace) {
      for (int d = 0; d < static_cast<int>(Drop::kCount); ++d)
        if (b_.drops(static_cast<Drop>(d)))
          TRACE("B dropped %s: %llu\n", drop_name(static_cast<Drop>(d)),
                static_cast<unsigned long long>(b_.drops(static_cast<Drop>(d))));
    }
  }

 private:
  static crypto::PrivateKey key_from(Rng& rng) {
    crypto::PrivateKey k;
    rng.fill(k.span());
    crypto::x25519_clamp(k);
    return k;
  }

  PeerChange b_peer_change(std::optional<Endpoint> endpoint) {
    PeerChange p;
    p.public_key = pub_a_;
    p.endpoint = endpoint;
    p.preshared_key = psk_b_.clone();
    p.replace_allowed_ips = true;
    p.allowed_ips = prefixes(kPresets[preset_]);
    return p;
  }

  Peer& b_peer() {
    Peer* p = b_.find_peer(pub_a_);
    FUZZ_CHECK(p != nullptr);
    return *p;
  }

  static Endpoint source(std::uint8_t s) {
    switch (static_cast<Source>(s % static_cast<int>(Source::kCount))) {
      case Source::kPeer:
        return kEpA;
      case Source::kPeerRoamed:
        return kEpA2;
      default:
        return kEpX;
    }
  }

  bool mac1_valid(ByteSpan d) const {
    auto layout = mac_layout(d);
    if (!layout) return false;
    Bytes copy(d.begin(), d.end());
    CookieMaker maker(pub_b_);
    maker.stamp(copy, layout->mac1_at, layout->mac2_at, now_);
    return std::equal(copy.begin() + layout->mac1_at, copy.begin() + layout->mac2_at,
                      d.begin() + layout->mac1_at);
  }

  // --- Datagrams from A ------------------------------------------------------------------------

  // Takes what A emitted: all of it goes to B's address, and all of it is authentic.
  void collect_from_a() {
    for (auto& d : out_a_.take_sent()) {
      FUZZ_CHECK(d.to == kEpB);
      record_authentic(d.bytes);
      queue_to_b_.push_back(std::move(d.bytes));
    }
    for (auto& p : out_a_.take_delivered()) take_expected(expected_at_a_, p);
  }

  void record_authentic(const Bytes& d) {
    switch (message_type(d)) {
      case kMessageInitiation:
        a_initiations_.insert(noise_part(d));
        break;
      case kMessageResponse:
        a_responses_.insert(noise_part(d));
        break;
      case kMessageTransport:
        a_transports_.insert(d);
        break;
      default:
        FUZZ_CHECK(false);  // A is never under load, so never sends cookie replies
    }
    a_exact_.insert(d);
    learn_b_index(d);
    if (history_.size() < 512) history_.push_back(d);
  }

  // B's receiver indices, as they appear in what A sends to B.
  void learn_b_index(ByteSpan d) {
    std::uint32_t index = 0;
    if (message_type(d) == kMessageTransport && d.size() >= 8) index = load_le32(d.data() + 4);
    if (message_type(d) == kMessageResponse && d.size() >= 12) index = load_le32(d.data() + 8);
    if (index && std::find(b_indices_.begin(), b_indices_.end(), index) == b_indices_.end() &&
        b_indices_.size() < 64)
      b_indices_.push_back(index);
  }

  static void take_expected(std::vector<Bytes>& expected, const Bytes& delivered) {
    auto it = std::find(expected.begin(), expected.end(), delivered);
    FUZZ_CHECK(it != expected.end());  // delivered something never sent, or twice
    expected.erase(it);
  }

  void deliver_to_a(const Bytes& d) {
    a_.receive(now_, kEpB, d, false, out_a_);
    collect_from_a();
  }

  // --- Datagrams to B --------------------------------------------------------------------------

  void deliver_to_b(const Bytes& d, const Endpoint& from, bool under_load, Provenance how = {}) {
    const std::uint32_t type = message_type(d);
    const bool mac1_ok = mac1_valid(d);
    const Bytes noise = noise_part(d);
    // Authentic and new: a replay of something B already took is no better than a forgery.
    const bool auth_init = type == kMessageInitiation && mac1_ok && a_initiations_.count(noise) &&
                           !b_answered_.count(noise);
    const bool auth_resp = type == kMessageResponse && mac1_ok && a_responses_.count(noise) &&
                           !b_consumed_responses_.count(noise);
    const bool auth_transport =
        type == kMessageTransport && (how.resealed || a_transports_.count(d)) && fresh_for_b(d);
    const auto layout = mac_layout(d);
    const bool mac2_present =
        layout && std::any_of(d.begin() + layout->mac2_at, d.end(), [](auto b) { return b; });
    const bool may_pass_mac2 = mac2_present && (how.cookie_stamp || a_exact_.count(d));
    const bool authentic = auth_init || auth_resp || auth_transport;

    const PeerSnapshot before = snapshot(b_peer());
    b_.receive(now_, from, d, under_load, out_b_);
    auto sent = out_b_.take_sent();
    auto delivered = out_b_.take_delivered();
    TRACE("  B <- %s type %u, %zu bytes%s%s: authentic %d, mac1 %d; sent %zu, delivered %zu\n",
          from.to_string().c_str(), type, d.size(), under_load ? ", under load" : "",
          how.resealed ? ", resealed" : "", authentic, mac1_ok, sent.size(), delivered.size());
    const Peer& peer = b_peer();

    if (!authentic) FUZZ_CHECK(snapshot(peer) == before);
    if (!auth_transport) FUZZ_CHECK(delivered.empty());
    for (const Bytes& p : delivered) check_delivery_at_b(p);

    const bool cookie_allowed = under_load && mac1_ok;
    const bool response_allowed = auth_init && (!under_load || may_pass_mac2);
    const bool transport_allowed = (auth_resp && (!under_load || may_pass_mac2)) || auth_transport;
    for (const auto& s : sent) {
      const std::uint32_t t = message_type(s.bytes);
      FUZZ_CHECK(s.to == from);
      if (t == kMessageCookieReply) {
        FUZZ_CHECK(cookie_allowed && sent.size() == 1);
        check_cookie_reply(d, s.bytes);
      } else if (t == kMessageResponse) {
        FUZZ_CHECK(response_allowed && sent.size() == 1);
        FUZZ_CHECK(s.bytes.size() == kResponseSize);
        FUZZ_CHECK(load_le32(s.bytes.data() + 8) == load_le32(d.data() + 4));
        FUZZ_CHECK(b_answered_.insert(noise).second);  // never twice for one initiation
      } else if (t == kMessageTransport) {
        FUZZ_CHECK(transport_allowed);
        if (auth_resp) b_consumed_responses_.insert(noise);
      } else {
        FUZZ_CHECK(t == kMessageInitiation && auth_transport);
      }
    }
    route_from_b(sent);
  }

  // Whether B could still accept transport message `d`: one of its sessions has the receiver
  // index, is younger than REJECT_AFTER_TIME, and has not seen the counter (asked of a copy of
  // its replay window). Anything else must leave B as it was.
  bool fresh_for_b(const Bytes& d) {
    const auto view = decode_transport(d);
    if (!view) return false;
    const Peer& peer = b_peer();
    for (const KeypairPtr& kp :
         {peer.sessions.previous, peer.sessions.current, peer.sessions.next}) {
      if (!kp || kp->local_index != view->receiver_index) continue;
      if (now_.mono - kp->created >= TimerSettings{}.reject_after_time) return false;
      ReplayWindow window = kp->replay;
      return window.accept(view->counter);
    }
    return false;
  }

  void check_delivery_at_b(const Bytes& p) {
    take_expected(expected_at_b_, p);
    auto facts = ip_header_facts(p);
    FUZZ_CHECK(facts && facts->total_length == p.size());
    const IpAddress src = IpAddress::from_bytes(
        facts->version == 4 ? IpAddress::Family::kV4 : IpAddress::Family::kV6, facts->source);
    bool allowed = false;
    for (const IpPrefix& pre : prefixes(kPresets[preset_])) allowed |= pre.contains(src);
    FUZZ_CHECK(allowed);
  }

  // A cookie reply from B answers `msg`: same sender index, and it decrypts for the holder of
  // msg's mac1 (a CookieMaker that stamped the same bytes).
  void check_cookie_reply(const Bytes& msg, const Bytes& reply_bytes) {
    const auto reply = decode_cookie_reply(reply_bytes);
    FUZZ_CHECK(reply.has_value());
    FUZZ_CHECK(le32_of(reply->receiver_index) == load_le32(msg.data() + 4));
    const auto layout = mac_layout(msg);
    FUZZ_CHECK(layout.has_value());
    Bytes copy = msg;
    CookieMaker maker(pub_b_);
    maker.stamp(copy, layout->mac1_at, layout->mac2_at, now_);
    FUZZ_CHECK(maker.consume_reply(*reply, now_));
  }

  // What B sent goes to A (directly, or relayed by the attacker when B believes A is at the
  // attacker's address), except cookie replies to the attacker, which it keeps.
  void route_from_b(std::vector<test::Datagram>& sent) {
    const Peer& peer = b_peer();
    for (auto& s : sent) {
      const std::uint32_t t = message_type(s.bytes);
      if (t != kMessageCookieReply) FUZZ_CHECK(peer.endpoint && s.to == *peer.endpoint);
      if (t == kMessageCookieReply && s.to == kEpX) {
        if (auto reply = decode_cookie_reply(s.bytes))
          x_has_cookie_ |= x_maker_->consume_reply(*reply, now_);
        continue;
      }
      queue_to_a_.push_back(std::move(s.bytes));
    }
  }

  // Output of B outside receive(): timers, sends, configuration. Only data and initiations,
  // nothing delivered.
  void collect_from_b_unprompted() {
    auto sent = out_b_.take_sent();
    FUZZ_CHECK(out_b_.take_delivered().empty());
    for (const auto& s : sent) {
      const std::uint32_t t = message_type(s.bytes);
      FUZZ_CHECK(t == kMessageInitiation || t == kMessageTransport);
    }
    route_from_b(sent);
  }

  // --- Operations ------------------------------------------------------------------------------

  void maybe_restamp(Bytes& d, bool restamp, Provenance& how) {
    auto layout = mac_layout(d);
    if (!restamp || !layout) return;
    x_maker_->stamp(d, layout->mac1_at, layout->mac2_at, now_);
    how.cookie_stamp = x_has_cookie_;
  }

  void op_raw(ByteReader& in) {
    const Endpoint from = source(in.u8());
    const bool under_load = in.flag();
    const std::uint8_t patch = in.u8() % 3;
    const std::uint8_t pick = in.u8();
    const bool restamp = in.flag();
    const ByteSpan run = in.run(1600);
    Bytes d(run.begin(), run.end());
    if (patch && !b_indices_.empty()) {
      const std::size_t at = patch == 1 ? 4 : 8;
      if (d.size() < at + 4) d.resize(at + 4);
      store_le32(d.data() + at, b_indices_[pick % b_indices_.size()]);
    }
    Provenance how;
    maybe_restamp(d, restamp, how);
    deliver_to_b(d, from, under_load, how);
  }

  void op_mutated(ByteReader& in) {
    const std::uint16_t pick = in.u16();
    const Endpoint from = source(in.u8());
    const bool under_load = in.flag();
    const bool restamp = in.flag();
    const int count = in.u8() % 5;
    Bytes d = history_.empty() ? Bytes{} : history_[pick % history_.size()];
    for (int i = 0; i < count; ++i) {
      const std::uint16_t at = in.u16();
      const std::uint8_t with = in.u8();
      if (!d.empty()) d[at % d.size()] ^= with;
    }
    const std::uint8_t resize = in.u8();
    if (resize >= 224) {
      const int delta = resize - 240;  // -16 .. +15
      d.resize(static_cast<std::size_t>(std::max<int>(0, static_cast<int>(d.size()) + delta)));
    }
    Provenance how;
    maybe_restamp(d, restamp, how);
    deliver_to_b(d, from, under_load, how);
  }

  void op_replay(ByteReader& in) {
    const std::uint16_t pick = in.u16();
    const Endpoint from = source(in.u8());
    const bool under_load = in.flag();
    if (history_.empty()) return;
    deliver_to_b(history_[pick % history_.size()], from, under_load);
  }

  Bytes ip_packet(bool v6, bool from_a, std::size_t payload, bool spoofed = false) {
    payload = std::max<std::size_t>(payload, 8);
    const char* src = from_a ? (v6        ? "fd00::1"
                                : spoofed ? "10.0.0.99"
                                          : "10.0.0.1")
                             : (v6 ? "fd00::2" : "10.0.0.2");
    const char* dst = from_a ? (v6 ? "fd00::2" : "10.0.0.2") : (v6 ? "fd00::1" : "10.0.0.1");
    Bytes p = v6 ? test::ipv6_packet(src, dst, payload) : test::ipv4_packet(src, dst, payload);
    store_le64(p.data() + (v6 ? 40 : 20), ++serial_);  // every packet differs
    return p;
  }

  void op_reseal(ByteReader& in) {
    const std::uint8_t slot = in.u8() % 3;
    const std::uint8_t counter_mode = in.u8() % 4;
    const std::uint64_t operand = in.u64();
    const Endpoint from = source(in.u8());
    const bool under_load = in.flag();
    const auto kind = static_cast<Payload>(in.u8() % static_cast<int>(Payload::kCount));
    const ByteSpan raw = in.run(1500);

    Peer* pa = a_.find_peer(pub_b_);
    FUZZ_CHECK(pa != nullptr);
    KeypairPtr kps[] = {pa->sessions.previous, pa->sessions.current, pa->sessions.next};
    const KeypairPtr& kp = kps[slot];
    if (!kp) return;
    std::uint64_t counter = 0;
    switch (counter_mode) {
      case 0:
        counter = kp->send_counter++;
        break;  // as A would send it
      case 1:
        counter = operand;
        break;
      case 2:
        counter = kp->send_counter + operand % 10000;
        break;
      case 3:
        counter = kRejectAfterMessages - operand % 4;
        break;
    }
    Bytes plain;
    switch (kind) {
      case Payload::kAllowedV4:
        plain = ip_packet(false, true, operand % 1400);
        break;
      case Payload::kAllowedV6:
        plain = ip_packet(true, true, operand % 1400);
        break;
      case Payload::kSpoofedV4:
        plain = ip_packet(false, true, operand % 1400, true);
        break;
      case Payload::kRaw:
        plain.assign(raw.begin(), raw.end());
        break;
      default:
        break;  // a keepalive
    }
    if (auto facts = ip_header_facts(plain))
      expected_at_b_.emplace_back(plain.begin(), plain.begin() + facts->total_length);

    Bytes d(transport_size(plain.size()));
    encode_transport_header(d.data(), kp->remote_index, counter);
    crypto::chacha20poly1305_seal(MutableByteSpan(d).subspan(kTransportHeaderSize),
                                  kp->send_key.span(), crypto::counter_nonce(counter), plain, {});
    a_transports_.insert(d);
    a_exact_.insert(d);
    if (history_.size() < 512) history_.push_back(d);
    deliver_to_b(d, from, under_load, Provenance{.resealed = true});
  }

  // Delivers the queued datagrams both ways until nothing moves (at most 8 rounds). The i-th
  // datagram from A meets fate (fates_a >> 4i) & 15; the i-th from B is lost if bit i is set.
  void pump(std::uint64_t fates_a, std::uint16_t fates_b) {
    int ia = 0, ib = 0;
    for (int round = 0; round < 8; ++round) {
      auto from_a = std::exchange(queue_to_b_, {});
      auto from_b = std::exchange(queue_to_a_, {});
      if (from_a.empty() && from_b.empty()) return;
      for (const Bytes& d : from_a) {
        const int fate = ia < 16 ? static_cast<int>((fates_a >> (4 * ia)) & 15) : 0;
        ++ia;
        switch (fate) {
          case 1:
            break;  // lost
          case 2:
            deliver_to_b(d, kEpA2, false);
            break;
          case 3:
            deliver_to_b(d, kEpA, false);
            deliver_to_b(d, kEpA, false);
            break;
          case 4:
            deliver_to_b(d, kEpA, true);
            break;
          case 5:
            deliver_to_b(d, kEpX, false);
            break;  // relayed by the attacker
          case 6:
            deliver_to_b(d, kEpA2, true);
            break;
          default:
            deliver_to_b(d, kEpA, false);
            break;
        }
      }
      for (const Bytes& d : from_b) {
        const bool lost = ib < 16 && ((fates_b >> ib) & 1);
        ++ib;
        if (!lost) deliver_to_a(d);
      }
    }
  }

  void op_pump(ByteReader& in) {
    const std::uint64_t fates_a = in.u64();
    const std::uint16_t fates_b = in.u16();
    pump(fates_a, fates_b);
  }

  void op_send_a(ByteReader& in) {
    const bool v6 = in.flag();
    const std::size_t length = in.u16() % 1400;
    const bool routed = !in.flag();
    Bytes p = ip_packet(v6, true, length);
    if (!routed) p[v6 ? 24 : 16] = 11;  // 11.x / b00::: no peer has it
    a_.send(now_, p, out_a_);
    if (routed) {
      expected_at_b_.push_back(p);
    } else {
      FUZZ_CHECK(out_a_.sent.empty());
    }
    collect_from_a();
  }

  void op_send_b(ByteReader& in) {
    const bool v6 = in.flag();
    const std::size_t length = in.u16() % 1400;
    Bytes p = ip_packet(v6, false, length);
    bool routed = false;
    const auto dst = IpAddress::from_bytes(v6 ? IpAddress::Family::kV6 : IpAddress::Family::kV4,
                                           p.data() + (v6 ? 24 : 16));
    for (const IpPrefix& pre : prefixes(kPresets[preset_])) routed |= pre.contains(dst);
    b_.send(now_, p, out_b_);
    if (routed) expected_at_a_.push_back(p);
    if (!routed) FUZZ_CHECK(out_b_.sent.empty());
    collect_from_b_unprompted();
  }

  void op_tick(ByteReader& in) {
    static constexpr Nanos kSteps[] = {
        kMillisecond,  10 * kMillisecond, 50 * kMillisecond, 200 * kMillisecond,
        kSecond,       2 * kSecond,       5 * kSecond,       10 * kSecond,
        15 * kSecond,  30 * kSecond,      60 * kSecond,      120 * kSecond,
        125 * kSecond, 180 * kSecond,     200 * kSecond,     540 * kSecond};
    const Nanos step = kSteps[in.u8() % std::size(kSteps)];
    now_.mono += step;
    now_.wall += step;
    const Nanos next_a = a_.tick(now_, out_a_);
    FUZZ_CHECK(next_a > now_.mono);
    for (const auto& d : out_a_.sent) {
      const std::uint32_t t = message_type(d.bytes);
      FUZZ_CHECK(t == kMessageInitiation || t == kMessageTransport);
    }
    collect_from_a();
    const Nanos next_b = b_.tick(now_, out_b_);
    FUZZ_CHECK(next_b > now_.mono);
    collect_from_b_unprompted();
  }

  void op_reconfigure(ByteReader& in) {
    const auto what = static_cast<Reconfigure>(in.u8() % static_cast<int>(Reconfigure::kCount));
    const std::uint8_t operand = in.u8();
    DeviceChange c;
    switch (what) {
      case Reconfigure::kReaddPeer: {
        PeerChange remove;
        remove.public_key = pub_a_;
        remove.remove = true;
        c.peers.push_back(std::move(remove));
        c.peers.push_back(b_peer_change(operand & 1 ? std::optional(kEpA) : std::nullopt));
        b_answered_.clear();  // a new peer has no memory of old timestamps, as in the kernel
        b_consumed_responses_.clear();
        break;
      }
      case Reconfigure::kAllowedIps:
        preset_ = operand % kPresets.size();
        c.peers.push_back(b_peer_change(std::nullopt));
        break;
      case Reconfigure::kKeepalive: {
        PeerChange p;
        p.public_key = pub_a_;
        p.update_only = true;
        p.persistent_keepalive = static_cast<std::uint16_t>(operand % 40);
        c.peers.push_back(std::move(p));
        break;
      }
      case Reconfigure::kPsk: {
        psk_b_ = crypto::PresharedKey{};
        psk_b_.data()[0] = static_cast<std::uint8_t>(operand >> 1);
        PeerChange p;
        p.public_key = pub_a_;
        p.update_only = true;
        p.preshared_key = psk_b_.clone();
        c.peers.push_back(std::move(p));
        if (operand & 1) {  // both sides agree again
          DeviceChange ca;
          PeerChange pa;
          pa.public_key = pub_b_;
          pa.update_only = true;
          pa.preshared_key = psk_b_.clone();
          ca.peers.push_back(std::move(pa));
          FUZZ_CHECK(a_.apply(ca, now_, out_a_).has_value());
          collect_from_a();
        }
        break;
      }
      case Reconfigure::kEndpoint: {
        PeerChange p;
        p.public_key = pub_a_;
        p.update_only = true;
        p.endpoint = operand & 1 ? kEpA2 : kEpA;
        c.peers.push_back(std::move(p));
        break;
      }
      case Reconfigure::kCount:
        break;
    }
    FUZZ_CHECK(b_.apply(c, now_, out_b_).has_value());
    FUZZ_CHECK(b_.peer_count() == 1);
    collect_from_b_unprompted();
  }

  test::DeterministicRng rng_a_, rng_b_;
  Device a_, b_;
  test::CaptureSink out_a_, out_b_;
  crypto::PrivateKey key_a_, key_b_;
  crypto::PublicKey pub_a_{}, pub_b_{};
  crypto::PresharedKey psk_a_, psk_b_;
  std::size_t preset_ = 0;
  Now now_{1000 * kSecond, 1700000000LL * kSecond};

  std::vector<Bytes> queue_to_b_, queue_to_a_;
  std::vector<Bytes> history_;                        // A's datagrams to B, for mutation and replay
  std::set<Bytes> a_initiations_, a_responses_;       // Noise parts of A's handshake messages
  std::set<Bytes> a_transports_;                      // A's transport messages, exactly
  std::set<Bytes> a_exact_;                           // everything A sent, exactly
  std::set<Bytes> b_answered_;                        // Noise parts of initiations B responded to
  std::set<Bytes> b_consumed_responses_;              // Noise parts of responses B took
  std::vector<std::uint32_t> b_indices_;              // B's receiver indices seen on the wire
  std::vector<Bytes> expected_at_b_, expected_at_a_;  // sent and not yet delivered
  std::optional<CookieMaker> x_maker_;                // the attacker's (and restamper's) mac maker
  bool x_has_cookie_ = false;
  std::uint64_t serial_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan input(data, size);
  const crypto::Hash h = crypto::blake2s256({input});
  ByteReader in(input);
  const std::uint8_t setup = in.u8();
  World world(load_le64(h.data()), setup);
  world.run(in);
  return 0;
}
