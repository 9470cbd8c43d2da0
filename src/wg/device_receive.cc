// Device: receiving transport data (decrypt, replay window, confirmation, roaming, source check).
#include "crypto/aead.h"
#include "wg/device.h"
#include "wg/ip_header.h"

namespace wgd::wg {

void Device::receive(Now now, const Endpoint& from, ByteSpan datagram, bool under_load,
                     Sink& out) {
  if (message_type(datagram) != kMessageTransport) {
    receive_handshake(now, from, datagram, under_load, out);
    return;
  }
  auto ticket = prepare_receive(now, datagram);
  if (!ticket) return;
  if (rx_scratch_.size() < datagram.size()) rx_scratch_.resize(datagram.size());  // first use
  auto plain = open(*ticket, datagram, rx_scratch_);
  if (!plain) return drop(Drop::kDecryptFailed);
  auto inner = complete_receive(now, *ticket, from, ByteSpan(rx_scratch_).first(*plain),
                                datagram.size(), out);
  if (inner && !inner->empty()) out.deliver(*inner);
}

std::optional<Device::ReceiveTicket> Device::prepare_receive(Now now, ByteSpan datagram) {
  auto view = decode_transport(datagram);
  if (!view) {
    drop(Drop::kShort);
    return std::nullopt;
  }
  auto it = indices_.find(view->receiver_index);
  if (it == indices_.end() || !it->second.keypair) {
    drop(Drop::kUnknownIndex);
    return std::nullopt;
  }
  Keypair& kp = *it->second.keypair;
  if (!kp.receive_valid || now.mono - kp.created >= options_.timers.reject_after_time ||
      kp.replay.highest() >= options_.timers.reject_after_messages) {
    kp.receive_valid = false;
    drop(Drop::kStaleSession);
    return std::nullopt;
  }
  return ReceiveTicket{it->second.peer->id, it->second.keypair, view->counter};
}

std::optional<std::size_t> Device::open(const ReceiveTicket& t, ByteSpan datagram,
                                        MutableByteSpan out) {
  auto view = decode_transport(datagram);
  if (!view) return std::nullopt;
  const std::size_t n = view->ciphertext.size() - crypto::kAeadTagSize;
  if (out.size() < n) return std::nullopt;
  if (!crypto::chacha20poly1305_open(out.first(n), t.keypair->receive_key.span(),
                                     crypto::counter_nonce(view->counter), view->ciphertext, {}))
    return std::nullopt;
  return n;
}

std::optional<ByteSpan> Device::complete_receive(Now now, const ReceiveTicket& t,
                                                 const Endpoint& from, ByteSpan plaintext,
                                                 std::size_t datagram_size, Sink& out) {
  Peer* peer = find_peer(t.peer_id);
  if (!peer) return std::nullopt;  // removed while the packet was being decrypted
  if (!t.keypair->replay.accept(t.counter)) {
    drop(Drop::kReplayedCounter);
    return std::nullopt;
  }
  peer->endpoint = from;  // roaming: the latest authenticated source is where the peer is now

  if (confirm_keypair(*peer, t.keypair)) {
    timers_handshake_complete(now, *peer);
    flush_staged(now, *peer, out);
  }
  // An initiator's session nearing REJECT_AFTER_TIME: rekey now rather than stall later.
  const KeypairPtr& cur = peer->sessions.current;
  if (!peer->timers.sent_lastminute_handshake && cur && cur->send_valid && cur->initiator &&
      now.mono - cur->created >= options_.timers.reject_after_time -
                                     options_.timers.keepalive_timeout -
                                     options_.timers.rekey_timeout) {
    peer->timers.sent_lastminute_handshake = true;
    send_initiation(now, *peer, false, out);
  }
  timers_any_authenticated_packet_received(*peer);
  timers_any_authenticated_packet_traversal(now, *peer);

  if (plaintext.empty()) {  // a keepalive
    peer->rx_bytes += datagram_size;
    return ByteSpan{};
  }
  timers_data_received(now, *peer);

  auto ip = ip_header_facts(plaintext);
  if (!ip) {
    drop(Drop::kNotIp);
    return std::nullopt;
  }
  Peer* allowed = ip->version == 4 ? allowed_ips_.lookup_v4(ip->source)
                                   : allowed_ips_.lookup_v6(ip->source);
  if (allowed != peer) {
    drop(Drop::kSourceNotAllowed);
    return std::nullopt;
  }
  peer->rx_bytes += datagram_size;
  return plaintext.first(ip->total_length);
}

}  // namespace wgd::wg
