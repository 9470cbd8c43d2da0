#include "net/link.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>

namespace wgd::net {
namespace {

// Interface names are at most IFNAMSIZ-1 bytes; checking here gives a clearer error than the
// kernel's attribute-policy EINVAL.
Result<void> check_name(const LinkRef& link) {
  if (link.by_index()) {
    if (link.index() <= 0)
      return fail(fmt::format("invalid interface index {}", link.index()), EINVAL);
    return {};
  }
  const std::string& n = link.name();
  if (n.empty() || n.size() >= IFNAMSIZ || n.find('/') != std::string::npos)
    return fail(fmt::format("invalid interface name '{}'", n), EINVAL);
  return {};
}

// Starts a link message addressed to `link`: by index in the header, or by IFLA_IFNAME with index
// 0, which RTM_GETLINK, RTM_SETLINK and RTM_DELLINK all accept.
ifinfomsg& target_link(NetlinkMessage& msg, const LinkRef& link) {
  auto& ifi = msg.put_header<ifinfomsg>();
  ifi.ifi_family = AF_UNSPEC;
  if (link.by_index())
    ifi.ifi_index = link.index();
  else
    msg.put_string(IFLA_IFNAME, link.name());
  return ifi;
}

}  // namespace

const std::string& LinkRef::name() const {
  static const std::string kNone;
  return by_index() ? kNone : std::get<std::string>(id_);
}

std::string LinkRef::describe() const {
  return by_index() ? fmt::format("ifindex {}", index()) : name();
}

std::optional<LinkInfo> parse_link_message(const nlmsghdr& nlh) {
  const auto* ifi = message_header<ifinfomsg>(nlh);
  if (!ifi) return std::nullopt;
  AttributeTable attrs(nlh, sizeof(ifinfomsg), IFLA_MAX);
  LinkInfo info;
  info.index = ifi->ifi_index;
  info.flags = ifi->ifi_flags;
  info.up = ifi->ifi_flags & IFF_UP;
  info.running = ifi->ifi_flags & IFF_RUNNING;
  info.name = attrs.string(IFLA_IFNAME).value_or("");
  info.mtu = attrs.u32(IFLA_MTU).value_or(0);
  if (const nlattr* li = attrs.get(IFLA_LINKINFO)) {
    AttributeTable linkinfo(*li, IFLA_INFO_MAX);
    info.kind = linkinfo.string(IFLA_INFO_KIND).value_or("");
  }
  return info;
}

Result<LinkInfo> link_get(NetlinkSocket& nl, const LinkRef& link) {
  std::string what = fmt::format("look up interface {}", link.describe());
  if (auto ok = check_name(link); !ok) return std::unexpected(ok.error().context(what));
  NetlinkMessage msg(RTM_GETLINK, 0);
  target_link(msg, link);
  std::optional<LinkInfo> found;
  auto r = nl.request(msg, what, [&](const nlmsghdr& nlh) {
    if (nlh.nlmsg_type == RTM_NEWLINK) found = parse_link_message(nlh);
  });
  if (!r) return std::unexpected(r.error());
  if (!found) return fail(fmt::format("{}: no answer from the kernel", what), EBADMSG);
  return *found;
}

Result<int> link_index(NetlinkSocket& nl, std::string_view name) {
  auto info = link_get(nl, LinkRef(name));
  if (!info) return std::unexpected(info.error());
  return info->index;
}

Result<int> resolve_link_index(NetlinkSocket& nl, const LinkRef& link, std::string_view what) {
  if (auto ok = check_name(link); !ok) return std::unexpected(ok.error().context(what));
  if (link.by_index()) return link.index();
  auto info = link_get(nl, link);
  if (!info) {
    const Error& e = info.error();
    if (e.code == 0) return std::unexpected(e.context(what));
    return fail(fmt::format("{}: {}", what, std::strerror(e.code)), e.code);
  }
  return info->index;
}

Result<std::vector<LinkInfo>> link_list(NetlinkSocket& nl) {
  NetlinkMessage msg(RTM_GETLINK, 0);
  msg.put_header<ifinfomsg>().ifi_family = AF_UNSPEC;
  std::vector<LinkInfo> links;
  auto r = nl.dump(
      msg, "list interfaces",
      [&](const nlmsghdr& nlh) {
        if (nlh.nlmsg_type != RTM_NEWLINK) return;
        if (auto info = parse_link_message(nlh)) links.push_back(std::move(*info));
      },
      [&] { links.clear(); });
  if (!r) return std::unexpected(r.error());
  return links;
}

Result<void> link_set_up(NetlinkSocket& nl, const LinkRef& link, bool up) {
  std::string what = fmt::format("set {} {}", link.describe(), up ? "up" : "down");
  if (auto ok = check_name(link); !ok) return std::unexpected(ok.error().context(what));
  NetlinkMessage msg(RTM_SETLINK, 0);
  auto& ifi = target_link(msg, link);
  ifi.ifi_change = IFF_UP;  // touch only this flag
  ifi.ifi_flags = up ? IFF_UP : 0;
  return nl.request(msg, what);
}

Result<void> link_set_mtu(NetlinkSocket& nl, const LinkRef& link, std::uint32_t mtu) {
  std::string what = fmt::format("set MTU {} on {}", mtu, link.describe());
  if (auto ok = check_name(link); !ok) return std::unexpected(ok.error().context(what));
  NetlinkMessage msg(RTM_SETLINK, 0);
  target_link(msg, link);
  msg.put_u32(IFLA_MTU, mtu);
  return nl.request(msg, what);
}

Result<void> link_delete(NetlinkSocket& nl, const LinkRef& link) {
  std::string what = fmt::format("delete interface {}", link.describe());
  if (auto ok = check_name(link); !ok) return std::unexpected(ok.error().context(what));
  NetlinkMessage msg(RTM_DELLINK, 0);
  target_link(msg, link);
  return nl.request(msg, what);
}

}  // namespace wgd::net
