// Device: sending transport data (routing, nonces, staging while a handshake runs, keepalives).
#include "crypto/aead.h"
#include "wg/device.h"
#include "wg/ip_header.h"

namespace wgd::wg {

void Device::send(Now now, ByteSpan ip_packet, Sink& out) {
  const std::uint64_t peer_id = route(ip_packet);
  if (!peer_id) return;
  auto ticket = prepare_send(now, peer_id, 1, out);
  if (!ticket) {
    stage(now, peer_id, ip_packet, out);
    return;
  }
  const std::size_t n = seal(*ticket, ticket->first_counter, ip_packet, options_.mtu, tx_buffer(ip_packet.size()));
  out.send(ticket->endpoint, ByteSpan(tx_scratch_).first(n));
  complete_send(now, peer_id, 1, n, true, out);
}

std::uint64_t Device::route(ByteSpan ip_packet) {
  int version = 0;
  const std::uint8_t* dst = ip_destination(ip_packet, version);
  if (!dst) {
    drop(Drop::kNotIp);
    return 0;
  }
  Peer* peer = version == 4 ? allowed_ips_.lookup_v4(dst) : allowed_ips_.lookup_v6(dst);
  if (!peer) {
    drop(Drop::kNoRoute);
    return 0;
  }
  return peer->id;
}

std::optional<Device::SendTicket> Device::prepare_send(Now now, std::uint64_t peer_id,
                                                       std::size_t count, Sink& out) {
  (void)out;
  Peer* peer = find_peer(peer_id);
  if (!peer || !peer->endpoint) return std::nullopt;
  const KeypairPtr& kp = peer->sessions.current;
  if (!kp) return std::nullopt;
  if (!session_usable_for_send(*kp, now) ||
      kp->send_counter + count > options_.timers.reject_after_messages) {
    kp->send_valid = false;  // nonces or time used up: only a new handshake helps
    return std::nullopt;
  }
  SendTicket t{peer_id, kp, kp->send_counter, *peer->endpoint};
  kp->send_counter += count;
  return t;
}

void Device::stage(Now now, std::uint64_t peer_id, ByteSpan ip_packet, Sink& out) {
  Peer* peer = find_peer(peer_id);
  if (!peer) return;
  peer->staged.emplace_back(ip_packet.begin(), ip_packet.end());
  if (peer->staged.size() > kMaxStagedPackets) {
    peer->staged.pop_front();
    drop(Drop::kStagedOverflow);
  }
  send_initiation(now, *peer, false, out);
}

std::size_t Device::seal(const SendTicket& t, std::uint64_t counter, ByteSpan plaintext,
                         std::size_t mtu, MutableByteSpan out) {
  const std::size_t padded = padded_length(plaintext.size(), mtu);
  std::uint8_t* body = out.data() + kTransportHeaderSize;
  if (plaintext.data() != body && !plaintext.empty())
    std::memmove(body, plaintext.data(), plaintext.size());
  std::memset(body + plaintext.size(), 0, padded - plaintext.size());
  encode_transport_header(out.data(), t.keypair->remote_index, counter);
  crypto::chacha20poly1305_seal(out.subspan(kTransportHeaderSize, padded + crypto::kAeadTagSize),
                                t.keypair->send_key.span(), crypto::counter_nonce(counter),
                                ByteSpan(body, padded), {});
  return transport_size(padded);
}

void Device::complete_send(Now now, std::uint64_t peer_id, std::size_t datagrams,
                           std::size_t bytes, bool carried_data, Sink& out) {
  (void)datagrams;
  Peer* peer = find_peer(peer_id);
  if (!peer) return;
  peer->tx_bytes += bytes;
  timers_any_authenticated_packet_traversal(now, *peer);
  timers_any_authenticated_packet_sent(*peer);
  if (carried_data) timers_data_sent(now, *peer);
  keep_key_fresh_after_send(now, *peer, out);
}

void Device::flush_staged(Now now, Peer& peer, Sink& out) {
  if (peer.staged.empty()) return;
  auto ticket = prepare_send(now, peer.id, peer.staged.size(), out);
  if (!ticket) {
    send_initiation(now, peer, false, out);
    return;
  }
  std::deque<Bytes> packets = std::move(peer.staged);
  peer.staged.clear();
  std::size_t bytes = 0;
  bool carried_data = false;
  std::uint64_t counter = ticket->first_counter;
  for (const Bytes& p : packets) {
    const std::size_t n = seal(*ticket, counter++, p, options_.mtu, tx_buffer(p.size()));
    out.send(ticket->endpoint, ByteSpan(tx_scratch_).first(n));
    bytes += n;
    carried_data |= !p.empty();
  }
  complete_send(now, peer.id, packets.size(), bytes, carried_data, out);
}

MutableByteSpan Device::tx_buffer(std::size_t plaintext) {
  // Allocated on first use and grown as needed: most devices (a fuzzer's, a server's with
  // thousands of idle peers) never send through the whole-packet path at all.
  const std::size_t need = transport_size(padded_length(plaintext, options_.mtu)) + kPaddingMultiple;
  if (tx_scratch_.size() < need) tx_scratch_.resize(need);
  return tx_scratch_;
}

void Device::send_keepalive(Now now, Peer& peer, Sink& out) {
  if (peer.staged.empty()) peer.staged.emplace_back();  // an empty packet is a keepalive
  flush_staged(now, peer, out);
}

void Device::keep_key_fresh_after_send(Now now, Peer& peer, Sink& out) {
  const KeypairPtr& kp = peer.sessions.current;
  if (kp && kp->send_valid &&
      (kp->send_counter > options_.timers.rekey_after_messages ||
       (kp->initiator && now.mono - kp->created >= options_.timers.rekey_after_time)))
    send_initiation(now, peer, false, out);
}

}  // namespace wgd::wg
