// ip_header_facts / ip_destination, the parsers that read decrypted payloads and TUN packets:
// what they return lies inside the packet and agrees with the header fields, and they refuse
// exactly the packets whose header is short or whose length field overruns the buffer.
#include "fuzz_check.h"
#include "util/bytes.h"
#include "wg/ip_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wgd;
  using namespace wgd::wg;
  const ByteSpan in(data, size);
  const auto facts = ip_header_facts(in);
  const int version = size ? data[0] >> 4 : 0;

  bool should = false;
  if (version == 4 && size >= 20) {
    const std::size_t len = load_be16(data + 2);
    should = len >= 20 && len <= size;
  } else if (version == 6 && size >= 40) {
    should = std::size_t{load_be16(data + 4)} + 40 <= size;
  }
  FUZZ_CHECK(facts.has_value() == should);

  int dst_version = -1;
  const std::uint8_t* dst = ip_destination(in, dst_version);
  if (facts) {
    const std::size_t addr = facts->version == 4 ? 4 : 16;
    FUZZ_CHECK(facts->version == version);
    FUZZ_CHECK(facts->total_length <= size);
    FUZZ_CHECK(facts->source >= data && facts->source + addr <= data + size);
    FUZZ_CHECK(facts->destination >= data && facts->destination + addr <= data + size);
    FUZZ_CHECK(facts->source + addr <= facts->destination);
    FUZZ_CHECK(dst == facts->destination && dst_version == facts->version);
  }
  if (dst) {
    FUZZ_CHECK(dst_version == 4 || dst_version == 6);
    FUZZ_CHECK(dst >= data && dst + (dst_version == 4 ? 4 : 16) <= data + size);
  }
  return 0;
}
