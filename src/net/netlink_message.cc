#include "net/netlink_message.h"

#include <sys/socket.h>

namespace wgd::net {

int address_family(IpAddress::Family f) {
  return f == IpAddress::Family::kV4 ? AF_INET : AF_INET6;
}

std::optional<IpAddress::Family> family_from_af(int af) {
  if (af == AF_INET) return IpAddress::Family::kV4;
  if (af == AF_INET6) return IpAddress::Family::kV6;
  return std::nullopt;
}

NetlinkMessage::NetlinkMessage(std::uint16_t type, std::uint16_t flags)
    : nlh_(mnl_nlmsg_put_header(buf_.data())) {
  nlh_->nlmsg_type = type;
  nlh_->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
}

void NetlinkMessage::put(std::uint16_t type, const void* data, std::size_t len) {
  if (!mnl_attr_put_check(nlh_, buf_.size(), type, len, data)) overflowed_ = true;
}

void NetlinkMessage::put_u8(std::uint16_t type, std::uint8_t v) {
  put(type, &v, sizeof v);
}

void NetlinkMessage::put_u32(std::uint16_t type, std::uint32_t v) {
  put(type, &v, sizeof v);
}

void NetlinkMessage::put_string(std::uint16_t type, std::string_view s) {
  std::string z(s);  // the kernel expects the terminating NUL inside the attribute
  put(type, z.c_str(), z.size() + 1);
}

void NetlinkMessage::put_address(std::uint16_t type, const IpAddress& a) {
  put(type, a.bytes(), a.byte_length());
}

AttributeTable::AttributeTable(const nlmsghdr& nlh, std::size_t header_len, std::uint16_t max_type)
    : attrs_(max_type + 1u, nullptr) {
  // A message shorter than its fixed header has no attributes; mnl_attr_parse would read past it.
  if (mnl_nlmsg_get_payload_len(&nlh) < header_len) return;
  mnl_attr_parse(&nlh, static_cast<unsigned>(header_len), &AttributeTable::store, this);
}

AttributeTable::AttributeTable(const nlattr& nested, std::uint16_t max_type)
    : attrs_(max_type + 1u, nullptr) {
  mnl_attr_parse_nested(&nested, &AttributeTable::store, this);
}

int AttributeTable::store(const nlattr* attr, void* self) {
  auto& attrs = static_cast<AttributeTable*>(self)->attrs_;
  std::uint16_t type = mnl_attr_get_type(attr);
  if (type < attrs.size()) attrs[type] = attr;
  return MNL_CB_OK;
}

const nlattr* AttributeTable::get(std::uint16_t type) const {
  return type < attrs_.size() ? attrs_[type] : nullptr;
}

std::optional<std::uint8_t> AttributeTable::u8(std::uint16_t type) const {
  const nlattr* a = get(type);
  if (!a || mnl_attr_get_payload_len(a) < sizeof(std::uint8_t)) return std::nullopt;
  return mnl_attr_get_u8(a);
}

std::optional<std::uint32_t> AttributeTable::u32(std::uint16_t type) const {
  const nlattr* a = get(type);
  if (!a || mnl_attr_get_payload_len(a) < sizeof(std::uint32_t)) return std::nullopt;
  return mnl_attr_get_u32(a);
}

std::optional<std::string> AttributeTable::string(std::uint16_t type) const {
  const nlattr* a = get(type);
  if (!a) return std::nullopt;
  const char* p = static_cast<const char*>(mnl_attr_get_payload(a));
  std::size_t len = mnl_attr_get_payload_len(a);
  std::size_t n = 0;
  while (n < len && p[n] != '\0') ++n;  // bounded: a missing NUL must not run off the buffer
  return std::string(p, n);
}

std::optional<IpAddress> AttributeTable::address(std::uint16_t type,
                                                 IpAddress::Family family) const {
  const nlattr* a = get(type);
  std::size_t want = family == IpAddress::Family::kV4 ? 4 : 16;
  if (!a || mnl_attr_get_payload_len(a) != want) return std::nullopt;
  return IpAddress::from_bytes(family, static_cast<const std::uint8_t*>(mnl_attr_get_payload(a)));
}

}  // namespace wgd::net
