#include "net/address.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace wgd::net {
namespace {

// RTM_NEWADDR / RTM_DELADDR for `prefix` on interface `index`. Like `ip address`, the address
// goes in both IFA_LOCAL and IFA_ADDRESS (they differ only for point-to-point peers).
void put_address(NetlinkMessage& msg, int index, const IpPrefix& prefix, std::uint8_t flags) {
  auto& ifa = msg.put_header<ifaddrmsg>();
  ifa.ifa_family = static_cast<std::uint8_t>(address_family(prefix.address.family()));
  ifa.ifa_prefixlen = static_cast<std::uint8_t>(prefix.length);
  ifa.ifa_flags = flags;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<std::uint32_t>(index);
  msg.put_address(IFA_LOCAL, prefix.address);
  msg.put_address(IFA_ADDRESS, prefix.address);
}

std::optional<AddressInfo> parse_address_message(const nlmsghdr& nlh) {
  const auto* ifa = message_header<ifaddrmsg>(nlh);
  if (!ifa) return std::nullopt;
  auto family = family_from_af(ifa->ifa_family);
  if (!family) return std::nullopt;
  AttributeTable attrs(nlh, sizeof(ifaddrmsg), IFA_MAX);
  // IPv4 reports the interface's own address in IFA_LOCAL and the peer (or the same address) in
  // IFA_ADDRESS; IPv6 sends IFA_LOCAL only for point-to-point, and IFA_ADDRESS otherwise.
  auto local = attrs.address(IFA_LOCAL, *family);
  auto address = attrs.address(IFA_ADDRESS, *family);
  if (!local && !address) return std::nullopt;
  AddressInfo info;
  info.ifindex = static_cast<int>(ifa->ifa_index);
  info.prefix = IpPrefix{local ? *local : *address, ifa->ifa_prefixlen};
  if (local && address && *local != *address) info.peer = *address;
  info.flags = attrs.u32(IFA_FLAGS).value_or(ifa->ifa_flags);  // IFA_FLAGS has all 32 bits
  info.scope = ifa->ifa_scope;
  info.label = attrs.string(IFA_LABEL).value_or("");
  return info;
}

Result<void> check_prefix(const IpPrefix& prefix) {
  if (prefix.length < 0 || prefix.length > prefix.address.bit_length())
    return fail(fmt::format("invalid prefix length {}", prefix.length), EINVAL);
  return {};
}

}  // namespace

bool AddressInfo::tentative() const {
  return flags & IFA_F_TENTATIVE;
}

Result<void> address_add(NetlinkSocket& nl, const LinkRef& link, const IpPrefix& prefix,
                         AddressOptions options) {
  std::string what = fmt::format("add address {} to {}", prefix.to_string(), link.describe());
  if (auto ok = check_prefix(prefix); !ok) return std::unexpected(ok.error().context(what));
  auto index = resolve_link_index(nl, link, what);
  if (!index) return std::unexpected(index.error());
  std::uint8_t flags = 0;
  if (prefix.address.is_v6() && options.skip_dad) flags |= IFA_F_NODAD;
  NetlinkMessage msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  put_address(msg, *index, prefix, flags);
  return nl.request(msg, what);
}

Result<void> address_delete(NetlinkSocket& nl, const LinkRef& link, const IpPrefix& prefix) {
  std::string what = fmt::format("delete address {} from {}", prefix.to_string(), link.describe());
  if (auto ok = check_prefix(prefix); !ok) return std::unexpected(ok.error().context(what));
  auto index = resolve_link_index(nl, link, what);
  if (!index) return std::unexpected(index.error());
  NetlinkMessage msg(RTM_DELADDR, 0);
  put_address(msg, *index, prefix, 0);
  return nl.request(msg, what);
}

Result<std::vector<AddressInfo>> address_list(NetlinkSocket& nl, const AddressFilter& filter) {
  std::string what = filter.link ? fmt::format("list addresses of {}", filter.link->describe())
                                 : std::string("list addresses");
  int index = 0;
  if (filter.link) {
    auto i = resolve_link_index(nl, *filter.link, what);
    if (!i) return std::unexpected(i.error());
    index = *i;
  }
  NetlinkMessage msg(RTM_GETADDR, 0);
  msg.put_header<ifaddrmsg>().ifa_family =
      static_cast<std::uint8_t>(filter.family ? address_family(*filter.family) : AF_UNSPEC);
  std::vector<AddressInfo> out;
  auto r = nl.dump(
      msg, what,
      [&](const nlmsghdr& nlh) {
        if (nlh.nlmsg_type != RTM_NEWADDR) return;
        auto info = parse_address_message(nlh);
        if (!info || (index && info->ifindex != index)) return;
        if (filter.family && info->prefix.address.family() != *filter.family) return;
        out.push_back(std::move(*info));
      },
      [&] { out.clear(); });
  if (!r) return std::unexpected(r.error());
  return out;
}

}  // namespace wgd::net
