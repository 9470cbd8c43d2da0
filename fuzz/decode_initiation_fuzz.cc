// decode_initiation on arbitrary datagrams: accepts exactly 148-byte type-1 messages, decodes
// them byte for byte, and the mac1/mac2/cookie layer behaves on whatever it decoded.
#include "message_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wgd::fuzz;
  const wgd::ByteSpan in(data, size);
  check_at_most_one_kind(in);
  const auto m = decode_initiation(in);
  check_fixed_decoder(in, kMessageInitiation, m);
  if (m) check_macs(*m, in);
  return 0;
}
