#include "wg/allowed_ips.h"

namespace wgd::wg::allowed_ips_detail {

#ifdef WGD_ALLOWED_IPS_POPCNT_DISPATCH
// __builtin_cpu_init first: this initialiser may run before libgcc's own.
const bool cpu_has_popcnt = (__builtin_cpu_init(), __builtin_cpu_supports("popcnt"));
#endif

BlockAllocator::BlockAllocator(unsigned max_count)
    : capacity_(max_count + 1), free_(max_count + 1) {
  // Classes 1, 2, 3, 4, 6, 8, 12, 16, ...: each about 1.5x the previous, the last one max_count.
  unsigned cls = 1;
  for (unsigned count = 1; count <= max_count; ++count) {
    if (count > cls) cls = (cls & (cls - 1)) == 0 ? cls + cls / 2 : (cls / 3) * 4;
    if (cls < count) cls = count;
    capacity_[count] = static_cast<std::uint8_t>(std::min(cls, max_count));
  }
}

std::uint32_t BlockAllocator::allocate(unsigned count) {
  const unsigned cap = capacity_[count];
  std::vector<std::uint32_t>& list = free_[cap];
  if (!list.empty()) {
    const std::uint32_t base = list.back();
    list.pop_back();
    return base;
  }
  const std::uint32_t base = end_;
  end_ += cap;
  return base;
}

void BlockAllocator::release(std::uint32_t base, unsigned count) {
  if (count != 0) free_[capacity_[count]].push_back(base);
}

std::size_t BlockAllocator::memory_bytes() const {
  std::size_t bytes = capacity_.capacity() + free_.capacity() * sizeof(free_[0]);
  for (const auto& list : free_) bytes += list.capacity() * sizeof(std::uint32_t);
  return bytes;
}

}  // namespace wgd::wg::allowed_ips_detail
