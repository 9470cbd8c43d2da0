// The WireGuard protocol core for one interface: sans-I/O, deterministic, single-owner.
//
// It does no I/O, starts no thread and reads no clock. Packets come in as byte spans with the
// time as a parameter; what must go out is handed to a Sink during the call; `tick` runs the
// timers that are due and says when it wants to be called next.
//
// Thread safety: none of its own. The I/O layer owns one Device per interface and serialises
// every call with one lock, held per batch of packets, never across I/O. The expensive per-packet
// work, the AEAD, is split out (prepare_* / seal / open / complete_*): the seal and open steps are
// static, touch only an immutable shared Keypair and can run on any thread without the lock,
// which is how the I/O layer spreads encryption over cores while the state machine stays simple.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "crypto/types.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/ip.h"
#include "wg/allowed_ips.h"
#include "wg/clock.h"
#include "wg/config_change.h"
#include "wg/constants.h"
#include "wg/cookie.h"
#include "wg/handshake.h"
#include "wg/keypair.h"
#include "wg/peer.h"
#include "wg/rng.h"

namespace wgd::wg {

// Where the core's output goes. The spans are valid only during the call.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void send(const Endpoint& to, ByteSpan datagram) = 0;  // a UDP datagram to a peer
  virtual void deliver(ByteSpan ip_packet) = 0;                   // a decrypted packet for the TUN
};

// Why a packet was dropped: one counter each, cheap enough for the packet path.
enum class Drop : std::uint8_t {
  kShort,              // too short / wrong size for its type
  kUnknownType,        // first word is not a known message type
  kBadMac1,            // handshake message without a valid mac1
  kCookieSent,         // under load and no valid mac2: answered with a cookie reply instead
  kNoIdentity,         // we have no private key yet
  kHandshakeInvalid,   // decryption or DH failure in a handshake message
  kUnknownPeer,        // a valid initiation from a public key we do not know
  kReplayedHandshake,  // initiation timestamp not newer than the last, or a flood
  kUnknownIndex,       // receiver index of no current handshake or session
  kStaleSession,       // session expired or invalidated
  kDecryptFailed,      // transport AEAD failure
  kReplayedCounter,    // transport nonce already seen or too old
  kNotIp,              // decrypted payload is not IPv4/IPv6 or its length is inconsistent
  kSourceNotAllowed,   // inner source address not in the sending peer's allowed IPs
  kNoRoute,            // outgoing packet to an address no peer is allowed
  kBadCookieReply,     // cookie reply that does not authenticate
  kStagedOverflow,     // oldest staged packet dropped, queue full
  kCount,
};
const char* drop_name(Drop d);

struct KeyHash {
  std::size_t operator()(const crypto::PublicKey& k) const noexcept {
    std::size_t h;
    std::memcpy(&h, k.data(), sizeof h);  // keys are uniformly random bytes
    return h;
  }
};

struct DeviceOptions {
  TimerSettings timers;
  std::size_t mtu = 1420;  // the TUN MTU: padding never goes past it
};

class Device {
 public:
  explicit Device(Rng& rng, DeviceOptions options = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // --- Configuration -------------------------------------------------------------------------
  // Applies a change set all or nothing: everything is validated before anything changes.
  // listen_port and fwmark are recorded for status() only (sockets are the I/O layer's).
  Result<void> apply(const DeviceChange& change, Now now, Sink& out);
  DeviceStatus status() const;
  std::optional<crypto::PublicKey> public_key() const;
  void set_mtu(std::size_t mtu) { options_.mtu = mtu; }
  std::size_t mtu() const { return options_.mtu; }
  const TimerSettings& timer_settings() const { return options_.timers; }
  std::size_t peer_count() const { return peers_.size(); }
  std::uint32_t fwmark() const { return fwmark_; }
  Peer* find_peer(std::uint64_t id);
  Peer* find_peer(const crypto::PublicKey& key);

  // --- Whole-packet paths (tests and simple I/O) ----------------------------------------------
  void receive(Now now, const Endpoint& from, ByteSpan datagram, bool under_load, Sink& out);
  void send(Now now, ByteSpan ip_packet, Sink& out);
  // Runs every timer that is due; returns the monotonic time it wants to be called next.
  Nanos tick(Now now, Sink& out);
  Nanos next_deadline() const;

  // --- Split receive path ----------------------------------------------------------------------
  // Handshake messages and cookie replies (everything not type 4).
  void receive_handshake(Now now, const Endpoint& from, ByteSpan datagram, bool under_load,
                         Sink& out);
  struct ReceiveTicket {
    std::uint64_t peer_id = 0;
    KeypairPtr keypair;
    std::uint64_t counter = 0;
  };
  // Step 1 (locked): which session decrypts this transport message? nullopt = dropped.
  std::optional<ReceiveTicket> prepare_receive(Now now, ByteSpan datagram);
  // Step 2 (unlocked, any thread): decrypts into `out` (>= datagram size - 32 bytes).
  // Returns the plaintext length (still padded), or nullopt when it does not authenticate.
  static std::optional<std::size_t> open(const ReceiveTicket& t, ByteSpan datagram,
                                         MutableByteSpan out);
  // Step 3 (locked; per peer in arrival order): replay window, session confirmation, timers,
  // roaming, allowed-IPs check of the inner source. Returns the inner packet (trimmed of
  // padding) to deliver; an empty span for a keepalive; nullopt when dropped.
  std::optional<ByteSpan> complete_receive(Now now, const ReceiveTicket& t, const Endpoint& from,
                                           ByteSpan plaintext, std::size_t datagram_size,
                                           Sink& out);

  // --- Split send path -------------------------------------------------------------------------
  // Step 1 (locked): the peer an IP packet goes to (allowed IPs by destination); 0 = no route.
  std::uint64_t route(ByteSpan ip_packet);
  struct SendTicket {
    std::uint64_t peer_id = 0;
    KeypairPtr keypair;
    std::uint64_t first_counter = 0;  // counters first_counter .. first_counter+count-1 are ours
    Endpoint endpoint;
  };
  // Step 2 (locked): reserves `count` nonces on the peer's current session. nullopt when there
  // is no usable session or no endpoint: the caller then hands the packets to stage(), which
  // queues them and starts a handshake.
  std::optional<SendTicket> prepare_send(Now now, std::uint64_t peer_id, std::size_t count,
                                         Sink& out);
  void stage(Now now, std::uint64_t peer_id, ByteSpan ip_packet, Sink& out);
  // Step 3 (unlocked, any thread): writes the transport message for `plaintext` into `out`
  // (at least transport_size(padded_length(plaintext.size(), mtu)) bytes) and returns its size.
  // `plaintext` may sit at out + 16 (encryption in place).
  static std::size_t seal(const SendTicket& t, std::uint64_t counter, ByteSpan plaintext,
                          std::size_t mtu, MutableByteSpan out);
  // Step 4 (locked): statistics, timers and "keep the key fresh" after sending.
  void complete_send(Now now, std::uint64_t peer_id, std::size_t datagrams, std::size_t bytes,
                     bool carried_data, Sink& out);

  // --- Observability ---------------------------------------------------------------------------
  std::uint64_t drops(Drop d) const { return drops_[static_cast<std::size_t>(d)]; }
  // For drops the split paths find outside the lock (a failed open), counted afterwards.
  void count_drop(Drop d, std::uint64_t n = 1) { drops_[static_cast<std::size_t>(d)] += n; }
  // The same validation apply() runs first, for callers that must check before other side
  // effects (rebinding sockets) so that a refused change set changes nothing.
  Result<void> validate(const DeviceChange& change) const;

 private:
  // Index table: receiver index -> peer and (for sessions) keypair.
  struct IndexEntry {
    Peer* peer = nullptr;
    KeypairPtr keypair;  // null for an in-progress handshake
  };

  void drop(Drop d) { ++drops_[static_cast<std::size_t>(d)]; }

  // configuration (device.cc)
  void set_private_key(const crypto::PrivateKey& key, Now now);
  Peer* create_peer(const crypto::PublicKey& key);
  void remove_peer(Peer* peer);
  void apply_peer(const PeerChange& change, Now now, Sink& out);

  // index table (device.cc)
  std::uint32_t register_index(Peer* peer, KeypairPtr keypair);
  void unregister_index(std::uint32_t index);

  // handshakes (device_handshake.cc)
  void send_initiation(Now now, Peer& peer, bool is_retry, Sink& out);
  // mac1 always, mac2 under load (answering with a cookie reply); false if dropped.
  template <class M>
  bool admit_handshake(Now now, const Endpoint& from, ByteSpan datagram, const M& msg,
                       bool under_load, Sink& out);
  void consume_initiation(Now now, const Endpoint& from, ByteSpan datagram, bool under_load,
                          Sink& out);
  void consume_response(Now now, const Endpoint& from, ByteSpan datagram, bool under_load,
                        Sink& out);
  void consume_cookie_reply(Now now, ByteSpan datagram);
  bool begin_session(Now now, Peer& peer);
  void send_to_peer(Peer& peer, ByteSpan datagram, Sink& out);

  // sessions (device_session.cc)
  void install_keypair(Peer& peer, KeypairPtr keypair);
  bool confirm_keypair(Peer& peer, const KeypairPtr& keypair);  // true if it was `next`
  void drop_keypair(KeypairPtr& slot);
  void clear_sessions(Peer& peer);
  void expire_current_sessions(Peer& peer);
  bool session_usable_for_send(const Keypair& kp, Now now) const;

  // sending (device_send.cc)
  void flush_staged(Now now, Peer& peer, Sink& out);
  void send_keepalive(Now now, Peer& peer, Sink& out);
  MutableByteSpan tx_buffer(std::size_t plaintext);  // tx_scratch_, large enough
  void keep_key_fresh_after_send(Now now, Peer& peer, Sink& out);

  // timers (device_timers.cc)
  void schedule(Peer& peer, Nanos at);
  void arm(Peer& peer, Nanos& timer, Nanos at);
  Nanos jitter();
  void timers_data_sent(Now now, Peer& peer);
  void timers_data_received(Now now, Peer& peer);
  void timers_any_authenticated_packet_sent(Peer& peer);
  void timers_any_authenticated_packet_received(Peer& peer);
  void timers_any_authenticated_packet_traversal(Now now, Peer& peer);
  void timers_handshake_initiated(Now now, Peer& peer);
  void timers_handshake_complete(Now now, Peer& peer);
  void timers_session_derived(Now now, Peer& peer);
  void run_expired_timers(Now now, Peer& peer, Sink& out);

  Rng& rng_;
  DeviceOptions options_;
  StaticIdentity identity_;
  CookieChecker cookie_checker_;
  std::uint16_t listen_port_ = 0;
  std::uint32_t fwmark_ = 0;

  std::uint64_t next_peer_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Peer>> peers_;
  std::unordered_map<crypto::PublicKey, Peer*, KeyHash> peers_by_key_;
  std::vector<std::uint64_t> peer_order_;  // insertion order, for status()
  AllowedIps<Peer*> allowed_ips_;
  std::unordered_map<std::uint32_t, IndexEntry> indices_;

  // Wake-ups: (time, peer id). Entries may be stale; Peer::scheduled_at says which is live.
  using Wakeup = std::pair<Nanos, std::uint64_t>;
  std::priority_queue<Wakeup, std::vector<Wakeup>, std::greater<>> wakeups_;

  std::array<std::uint64_t, static_cast<std::size_t>(Drop::kCount)> drops_{};
  Bytes rx_scratch_;  // decrypted packets of the whole-packet receive path
  Bytes tx_scratch_;  // encrypted datagrams of every send the device makes itself
};

}  // namespace wgd::wg
