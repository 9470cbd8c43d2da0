// Device: sending and receiving handshake messages and cookie replies.
#include "wg/device.h"

namespace wgd::wg {
namespace {

template <class M>
MutableByteSpan mutable_bytes(M& m) {
  return {reinterpret_cast<std::uint8_t*>(&m), sizeof(M)};
}

}  // namespace

void Device::send_to_peer(Peer& peer, ByteSpan datagram, Sink& out) {
  if (!peer.endpoint) return;  // nowhere to send: timers keep retrying until the peer shows up
  out.send(*peer.endpoint, datagram);
  peer.tx_bytes += datagram.size();
}

void Device::send_initiation(Now now, Peer& peer, bool is_retry, Sink& out) {
  if (!is_retry) peer.timers.handshake_attempts = 0;
  // At most one initiation per REKEY_TIMEOUT per peer.
  if (now.mono - peer.last_sent_handshake < options_.timers.rekey_timeout) return;
  peer.last_sent_handshake = now.mono;
  if (!peer.endpoint) {
    // The message could not go anywhere, so skip its Diffie-Hellman work (a server starting
    // with thousands of keepalive peers that have not called in yet would spend a second on
    // it) but keep the retry schedule: an endpoint configured later is tried within
    // REKEY_TIMEOUT, and the attempts give up after REKEY_ATTEMPT_TIME as they would have.
    timers_handshake_initiated(now, peer);
    return;
  }

  if (peer.handshake.local_index) unregister_index(peer.handshake.local_index);
  peer.handshake.local_index = 0;
  const std::uint32_t index = register_index(&peer, nullptr);
  auto msg = handshake_create_initiation(peer.handshake, identity_, peer.public_key, index, now, rng_);
  if (!msg) {
    unregister_index(index);
    return;
  }
  peer.cookie.stamp(mutable_bytes(*msg), mac1_offset<MessageInitiation>(),
                    mac2_offset<MessageInitiation>(), now);
  timers_any_authenticated_packet_traversal(now, peer);
  timers_any_authenticated_packet_sent(peer);
  send_to_peer(peer, as_span(*msg), out);
  timers_handshake_initiated(now, peer);
}

void Device::receive_handshake(Now now, const Endpoint& from, ByteSpan datagram, bool under_load,
                               Sink& out) {
  switch (message_type(datagram)) {
    case kMessageInitiation:
      consume_initiation(now, from, datagram, under_load, out);
      return;
    case kMessageResponse:
      consume_response(now, from, datagram, under_load, out);
      return;
    case kMessageCookieReply:
      consume_cookie_reply(now, datagram);
      return;
    default:
      drop(datagram.size() < 4 ? Drop::kShort : Drop::kUnknownType);
  }
}

template <class M>
bool Device::admit_handshake(Now now, const Endpoint& from, ByteSpan datagram, const M& msg,
                             bool under_load, Sink& out) {
  if (!identity_.has_key()) {
    drop(Drop::kNoIdentity);
    return false;
  }
  const MacCheck macs =
      cookie_checker_.check(datagram, mac1_offset<M>(), mac2_offset<M>(), from, now, rng_);
  if (macs == MacCheck::kBadMac1) {
    drop(Drop::kBadMac1);
    return false;
  }
  // Under load, only a source that proved its address with our cookie costs us any DH work;
  // everyone else gets a cookie to prove it with next time.
  if (under_load && macs != MacCheck::kMac1AndMac2) {
    const MessageCookieReply reply =
        cookie_checker_.make_reply(le32_of(msg.sender_index), msg.mac1, from, now, rng_);
    out.send(from, as_span(reply));
    drop(Drop::kCookieSent);
    return false;
  }
  return true;
}

void Device::consume_initiation(Now now, const Endpoint& from, ByteSpan datagram, bool under_load,
                                Sink& out) {
  auto msg = decode_initiation(datagram);
  if (!msg) return drop(Drop::kShort);
  if (!admit_handshake(now, from, datagram, *msg, under_load, out)) return;
  auto partial = handshake_identify_initiation(*msg, identity_);
  if (!partial) return drop(Drop::kHandshakeInvalid);
  Peer* peer = find_peer(partial->initiator_static);
  if (!peer) return drop(Drop::kUnknownPeer);
  if (!handshake_consume_initiation(peer->handshake, std::move(*partial), *msg, now))
    return drop(Drop::kReplayedHandshake);

  peer->endpoint = from;
  peer->rx_bytes += datagram.size();

  // Answer at once.
  peer->last_sent_handshake = now.mono;
  if (peer->handshake.local_index) unregister_index(peer->handshake.local_index);
  peer->handshake.local_index = 0;
  const std::uint32_t index = register_index(peer, nullptr);
  auto response =
      handshake_create_response(peer->handshake, peer->public_key, peer->preshared_key, index, rng_);
  if (!response) {
    unregister_index(index);
    peer->handshake.zero();
    return drop(Drop::kHandshakeInvalid);
  }
  peer->cookie.stamp(mutable_bytes(*response), mac1_offset<MessageResponse>(),
                     mac2_offset<MessageResponse>(), now);
  if (begin_session(now, *peer)) {
    timers_session_derived(now, *peer);
    timers_any_authenticated_packet_traversal(now, *peer);
    timers_any_authenticated_packet_sent(*peer);
    send_to_peer(*peer, as_span(*response), out);
  }
  timers_any_authenticated_packet_received(*peer);
  timers_any_authenticated_packet_traversal(now, *peer);
}

void Device::consume_response(Now now, const Endpoint& from, ByteSpan datagram, bool under_load,
                              Sink& out) {
  auto msg = decode_response(datagram);
  if (!msg) return drop(Drop::kShort);
  if (!admit_handshake(now, from, datagram, *msg, under_load, out)) return;
  const std::uint32_t receiver = le32_of(msg->receiver_index);
  auto it = indices_.find(receiver);
  if (it == indices_.end() || it->second.keypair ||
      it->second.peer->handshake.local_index != receiver)
    return drop(Drop::kUnknownIndex);
  Peer& peer = *it->second.peer;
  if (!handshake_consume_response(peer.handshake, *msg, identity_, peer.preshared_key))
    return drop(Drop::kHandshakeInvalid);

  peer.endpoint = from;
  peer.rx_bytes += datagram.size();
  if (begin_session(now, peer)) {
    timers_session_derived(now, peer);
    timers_handshake_complete(now, peer);
    // Sends what waited for this session, or a keepalive that confirms it to the responder.
    send_keepalive(now, peer, out);
  }
  timers_any_authenticated_packet_received(peer);
  timers_any_authenticated_packet_traversal(now, peer);
}

void Device::consume_cookie_reply(Now now, ByteSpan datagram) {
  auto msg = decode_cookie_reply(datagram);
  if (!msg) return drop(Drop::kShort);
  auto it = indices_.find(le32_of(msg->receiver_index));
  if (it == indices_.end()) return drop(Drop::kUnknownIndex);
  if (!it->second.peer->cookie.consume_reply(*msg, now)) return drop(Drop::kBadCookieReply);
}

bool Device::begin_session(Now now, Peer& peer) {
  auto derived = handshake_derive_session(peer.handshake);
  if (!derived) return false;
  auto kp = std::make_shared<Keypair>(options_.timers.reject_after_messages);
  kp->send_key = std::move(derived->send);
  kp->receive_key = std::move(derived->receive);
  kp->initiator = derived->initiator;
  kp->local_index = derived->local_index;
  kp->remote_index = derived->remote_index;
  kp->created = now.mono;
  // The handshake's receiver index now names the session.
  indices_[kp->local_index] = IndexEntry{&peer, kp};
  install_keypair(peer, std::move(kp));
  return true;
}

}  // namespace wgd::wg
