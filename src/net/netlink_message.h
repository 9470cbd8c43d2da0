// Building rtnetlink requests and reading attributes out of replies (the wire format only;
// sending and receiving is NetlinkSocket's job). libmnl does the byte layout; this adds bounds
// checks and typed accessors so callers never index a raw attribute without checking its length.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/ip.h"

namespace wgd::net {

// AF_INET / AF_INET6 for an address family.
int address_family(IpAddress::Family f);
std::optional<IpAddress::Family> family_from_af(int af);

// One request message. Requests are small (a fixed header and a few attributes), so the buffer is
// a fixed size; an attribute that does not fit marks the message overflowed and the socket refuses
// to send it rather than send a truncated request.
class NetlinkMessage {
 public:
  // NLM_F_REQUEST is always set; `flags` adds NLM_F_CREATE, NLM_F_EXCL and the like.
  NetlinkMessage(std::uint16_t type, std::uint16_t flags);
  NetlinkMessage(const NetlinkMessage&) = delete;
  NetlinkMessage& operator=(const NetlinkMessage&) = delete;

  // The protocol's fixed header (ifinfomsg, ifaddrmsg, rtmsg, fib_rule_hdr), zeroed. Call once,
  // before any attribute.
  template <class T>
  T& put_header() {
    return *static_cast<T*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(T)));
  }

  void put_u8(std::uint16_t type, std::uint8_t v);
  void put_u32(std::uint16_t type, std::uint32_t v);
  void put_string(std::uint16_t type, std::string_view s);   // NUL-terminated on the wire
  void put_address(std::uint16_t type, const IpAddress& a);  // 4 or 16 bytes

  nlmsghdr* header() { return nlh_; }
  bool overflowed() const { return overflowed_; }

 private:
  void put(std::uint16_t type, const void* data, std::size_t len);

  alignas(nlmsghdr) std::array<char, 1024> buf_{};
  nlmsghdr* nlh_;
  bool overflowed_ = false;
};

// The attributes of one message (after its fixed header) or of one nested attribute, indexed by
// type. Types above `max_type` are ignored (newer kernels add attributes we do not know).
// Accessors return nullopt when the attribute is absent or too short for its type.
class AttributeTable {
 public:
  AttributeTable(const nlmsghdr& nlh, std::size_t header_len, std::uint16_t max_type);
  AttributeTable(const nlattr& nested, std::uint16_t max_type);

  const nlattr* get(std::uint16_t type) const;
  bool has(std::uint16_t type) const { return get(type) != nullptr; }
  std::optional<std::uint8_t> u8(std::uint16_t type) const;
  std::optional<std::uint32_t> u32(std::uint16_t type) const;
  std::optional<std::string> string(std::uint16_t type) const;
  std::optional<IpAddress> address(std::uint16_t type, IpAddress::Family family) const;

 private:
  static int store(const nlattr* attr, void* self);
  std::vector<const nlattr*> attrs_;
};

// The fixed header of a received message, or nullptr if the message is too short to hold one.
template <class T>
const T* message_header(const nlmsghdr& nlh) {
  if (mnl_nlmsg_get_payload_len(&nlh) < sizeof(T)) return nullptr;
  return static_cast<const T*>(mnl_nlmsg_get_payload(&nlh));
}

}  // namespace wgd::net
