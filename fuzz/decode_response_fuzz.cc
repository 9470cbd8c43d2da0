// decode_response on arbitrary datagrams: accepts exactly 92-byte type-2 messages, decodes
// them byte for byte, and the mac1/mac2/cookie layer behaves on whatever it decoded.
#include "message_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wgd::fuzz;
  const wgd::ByteSpan in(data, size);
  check_at_most_one_kind(in);
  const auto m = decode_response(in);
  check_fixed_decoder(in, kMessageResponse, m);
  if (m) check_macs(*m, in);
  return 0;
}
