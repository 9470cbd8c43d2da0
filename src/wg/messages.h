// The four WireGuard messages, byte for byte. Each struct is exactly the wire layout (arrays of
// bytes only, so no padding); multi-byte integers are little-endian on the wire.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "util/bytes.h"
#include "wg/constants.h"

namespace wgd::wg {

using Bytes4 = std::array<std::uint8_t, 4>;
using Bytes16 = std::array<std::uint8_t, 16>;
using Bytes32 = std::array<std::uint8_t, 32>;

struct MessageInitiation {
  Bytes4 type;  // 1, 0, 0, 0
  Bytes4 sender_index;
  Bytes32 ephemeral;
  std::array<std::uint8_t, 32 + 16> encrypted_static;
  std::array<std::uint8_t, kTimestampSize + 16> encrypted_timestamp;
  Bytes16 mac1;
  Bytes16 mac2;
};

struct MessageResponse {
  Bytes4 type;  // 2, 0, 0, 0
  Bytes4 sender_index;
  Bytes4 receiver_index;
  Bytes32 ephemeral;
  Bytes16 encrypted_nothing;
  Bytes16 mac1;
  Bytes16 mac2;
};

struct MessageCookieReply {
  Bytes4 type;  // 3, 0, 0, 0
  Bytes4 receiver_index;
  std::array<std::uint8_t, 24> nonce;
  std::array<std::uint8_t, 16 + 16> encrypted_cookie;
};

struct TransportHeader {
  Bytes4 type;  // 4, 0, 0, 0
  Bytes4 receiver_index;
  std::array<std::uint8_t, 8> counter;
};

static_assert(sizeof(MessageInitiation) == kInitiationSize);
static_assert(sizeof(MessageResponse) == kResponseSize);
static_assert(sizeof(MessageCookieReply) == kCookieReplySize);
static_assert(sizeof(TransportHeader) == kTransportHeaderSize);

// Where mac1 and mac2 sit: everything before them is what they authenticate.
template <class M>
constexpr std::size_t mac1_offset() {
  return offsetof(M, mac1);
}
template <class M>
constexpr std::size_t mac2_offset() {
  return offsetof(M, mac2);
}

inline Bytes4 le32_bytes(std::uint32_t v) {
  Bytes4 b;
  store_le32(b.data(), v);
  return b;
}
inline std::uint32_t le32_of(const Bytes4& b) { return load_le32(b.data()); }

// The message type of a datagram: its first four bytes as a little-endian word, so a non-zero
// reserved byte makes the type unknown. Returns 0 for datagrams shorter than four bytes.
inline std::uint32_t message_type(ByteSpan datagram) {
  return datagram.size() < 4 ? 0 : load_le32(datagram.data());
}

// Decodes a fixed-size message: the datagram must be exactly the message's size and type.
template <class M>
std::optional<M> decode_fixed(ByteSpan datagram, std::uint32_t type) {
  if (datagram.size() != sizeof(M) || message_type(datagram) != type) return std::nullopt;
  M m;
  std::memcpy(&m, datagram.data(), sizeof(M));
  return m;
}

inline std::optional<MessageInitiation> decode_initiation(ByteSpan d) {
  return decode_fixed<MessageInitiation>(d, kMessageInitiation);
}
inline std::optional<MessageResponse> decode_response(ByteSpan d) {
  return decode_fixed<MessageResponse>(d, kMessageResponse);
}
inline std::optional<MessageCookieReply> decode_cookie_reply(ByteSpan d) {
  return decode_fixed<MessageCookieReply>(d, kMessageCookieReply);
}

// A transport message seen without copying: header fields plus the encrypted payload (with tag).
struct TransportView {
  std::uint32_t receiver_index;
  std::uint64_t counter;
  ByteSpan ciphertext;
};

inline std::optional<TransportView> decode_transport(ByteSpan d) {
  if (d.size() < kTransportMinSize || message_type(d) != kMessageTransport) return std::nullopt;
  return TransportView{load_le32(d.data() + 4), load_le64(d.data() + 8),
                       d.subspan(kTransportHeaderSize)};
}

inline void encode_transport_header(std::uint8_t* out, std::uint32_t receiver_index,
                                    std::uint64_t counter) {
  store_le32(out, kMessageTransport);
  store_le32(out + 4, receiver_index);
  store_le64(out + 8, counter);
}

template <class M>
ByteSpan as_span(const M& m) {
  return {reinterpret_cast<const std::uint8_t*>(&m), sizeof(M)};
}

// The padded plaintext length of an IP packet of `length` bytes: a multiple of 16, but never
// beyond the MTU (mtu == 0 means unknown: pad to 16 regardless).
inline std::size_t padded_length(std::size_t length, std::size_t mtu) {
  std::size_t padded = (length + kPaddingMultiple - 1) / kPaddingMultiple * kPaddingMultiple;
  if (mtu != 0 && padded > mtu) padded = std::max(length, mtu);
  return padded;
}

// The size of the transport message carrying a plaintext of `padded` bytes.
inline constexpr std::size_t transport_size(std::size_t padded) {
  return kTransportHeaderSize + padded + 16;
}

}  // namespace wgd::wg
