// decode_transport, padded_length and the static seal/open of the data path:
// - a transport view is exactly the header fields, and its ciphertext lies inside the input;
// - padding never shrinks a packet, stays under 16 bytes and never passes the MTU by itself;
// - what seal writes, open reads back (plaintext, zero padding); an arbitrary datagram never
//   opens; changing one byte breaks it unless the byte is in the receiver index, which only
//   routes the message (the AEAD covers counter, via the nonce, and ciphertext).
#include "byte_reader.h"
#include "message_checks.h"
#include "wg/device.h"

namespace {

using namespace wgd;
using namespace wgd::fuzz;

void check_view(wgd::ByteSpan in) {
  const auto view = decode_transport(in);
  const bool should = in.size() >= kTransportMinSize && in[0] == kMessageTransport && in[1] == 0 &&
                      in[2] == 0 && in[3] == 0;
  FUZZ_CHECK(view.has_value() == should);
  if (!view) return;
  FUZZ_CHECK(view->receiver_index == load_le32(in.data() + 4));
  FUZZ_CHECK(view->counter == load_le64(in.data() + 8));
  FUZZ_CHECK(view->ciphertext.data() == in.data() + kTransportHeaderSize);
  FUZZ_CHECK(view->ciphertext.data() + view->ciphertext.size() == in.data() + in.size());
  FUZZ_CHECK(view->ciphertext.size() >= 16);  // room for the tag
  std::uint8_t header[kTransportHeaderSize];
  encode_transport_header(header, view->receiver_index, view->counter);
  FUZZ_CHECK(std::memcmp(header, in.data(), sizeof header) == 0);
}

void check_padding(std::size_t length, std::size_t mtu) {
  const std::size_t p = padded_length(length, mtu);
  FUZZ_CHECK(p >= length);
  FUZZ_CHECK(p - length < kPaddingMultiple);
  FUZZ_CHECK(p % kPaddingMultiple == 0 || p == mtu || p == length);
  if (mtu != 0) FUZZ_CHECK(p <= std::max(length, mtu));
  if (mtu == 0) FUZZ_CHECK(p % kPaddingMultiple == 0);
  FUZZ_CHECK(transport_size(p) == kTransportHeaderSize + p + 16);
}

void check_seal_open(wgd::ByteSpan in) {
  ByteReader r(in);
  const std::uint64_t counter = r.u64();
  const std::size_t mtu = r.u16() % 2048;
  const std::size_t flip = r.u16();
  const std::uint8_t flip_with = static_cast<std::uint8_t>(r.u8() | 1);
  const wgd::ByteSpan plaintext = r.bytes(4096);

  // A key that depends on the whole input: no input can carry a datagram sealed for it.
  auto kp = std::make_shared<Keypair>(kRejectAfterMessages);
  const auto key = key_for(in);
  std::memcpy(kp->send_key.data(), key.data(), key.size());
  std::memcpy(kp->receive_key.data(), key.data(), key.size());
  kp->remote_index = load_le32(key.data() + 4);
  const Device::SendTicket send{1, kp, counter, {}};
  const Device::ReceiveTicket receive{1, kp, counter};

  wgd::Bytes scratch(8192);
  FUZZ_CHECK(!Device::open(receive, in, scratch).has_value());  // the raw input never opens

  const std::size_t padded = padded_length(plaintext.size(), mtu);
  wgd::Bytes datagram(transport_size(padded));
  const std::size_t n = Device::seal(send, counter, plaintext, mtu, datagram);
  FUZZ_CHECK(n == datagram.size());
  check_view(datagram);
  FUZZ_CHECK(load_le32(datagram.data() + 4) == kp->remote_index);

  const auto opened = Device::open(receive, datagram, scratch);
  FUZZ_CHECK(opened.has_value() && *opened == padded);
  FUZZ_CHECK(std::memcmp(scratch.data(), plaintext.data(), plaintext.size()) == 0);
  for (std::size_t i = plaintext.size(); i < padded; ++i) FUZZ_CHECK(scratch[i] == 0);

  // In place, as the I/O layer does it: plaintext already at out + 16.
  wgd::Bytes in_place(datagram.size());
  std::memcpy(in_place.data() + kTransportHeaderSize, plaintext.data(), plaintext.size());
  Device::seal(send, counter,
               wgd::ByteSpan(in_place.data() + kTransportHeaderSize, plaintext.size()), mtu,
               in_place);
  FUZZ_CHECK(in_place == datagram);

  const std::size_t at = flip % datagram.size();
  datagram[at] ^= flip_with;
  const bool routing_only = at >= 4 && at < 8;
  FUZZ_CHECK(Device::open(receive, datagram, scratch).has_value() == routing_only);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const wgd::ByteSpan in(data, size);
  check_at_most_one_kind(in);
  check_view(in);
  ByteReader r(in);
  check_padding(r.u32() % (1 << 17), r.u16());
  check_seal_open(in);
  return 0;
}
