#include "net/route.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace wgd::net {

static_assert(kTableMain == RT_TABLE_MAIN && kTableLocal == RT_TABLE_LOCAL);

namespace {

std::string describe(const RouteSpec& r, const IpPrefix& dst) {
  std::string s = fmt::format("{} dev ifindex {}", dst.to_string(), r.oif);
  if (r.table != kTableMain) s += fmt::format(" table {}", r.table);
  if (r.metric) s += fmt::format(" metric {}", *r.metric);
  return s;
}

// The common part of RTM_NEWROUTE and RTM_DELROUTE. Tables >= 256 do not fit rtm_table, so the
// number always travels in RTA_TABLE, which the kernel prefers when present.
rtmsg& put_route(NetlinkMessage& msg, const RouteSpec& r, const IpPrefix& dst) {
  auto& rtm = msg.put_header<rtmsg>();
  rtm.rtm_family = static_cast<std::uint8_t>(address_family(dst.address.family()));
  rtm.rtm_dst_len = static_cast<std::uint8_t>(dst.length);
  rtm.rtm_table = static_cast<std::uint8_t>(r.table < 256 ? r.table : RT_TABLE_UNSPEC);
  msg.put_u32(RTA_TABLE, r.table);
  msg.put_address(RTA_DST, dst.address);
  msg.put_u32(RTA_OIF, static_cast<std::uint32_t>(r.oif));
  if (r.metric) msg.put_u32(RTA_PRIORITY, *r.metric);
  return rtm;
}

std::optional<RouteInfo> parse_route_message(const nlmsghdr& nlh) {
  const auto* rtm = message_header<rtmsg>(nlh);
  if (!rtm) return std::nullopt;
  auto family = family_from_af(rtm->rtm_family);
  if (!family) return std::nullopt;
  AttributeTable attrs(nlh, sizeof(rtmsg), RTA_MAX);
  RouteInfo info;
  IpAddress zero = family == IpAddress::Family::kV4 ? IpAddress::v4(0u)
                                                    : IpAddress::v6(std::array<std::uint8_t, 16>{});
  info.destination = IpPrefix{attrs.address(RTA_DST, *family).value_or(zero), rtm->rtm_dst_len};
  info.oif = static_cast<int>(attrs.u32(RTA_OIF).value_or(0));
  info.gateway = attrs.address(RTA_GATEWAY, *family);
  info.prefsrc = attrs.address(RTA_PREFSRC, *family);
  info.table = attrs.u32(RTA_TABLE).value_or(rtm->rtm_table);
  info.metric = attrs.u32(RTA_PRIORITY);
  if (const nlattr* m = attrs.get(RTA_METRICS))
    info.mtu = AttributeTable(*m, RTAX_MAX).u32(RTAX_MTU);
  info.type = rtm->rtm_type;
  info.protocol = rtm->rtm_protocol;
  info.scope = rtm->rtm_scope;
  return info;
}

Result<void> check_spec(const RouteSpec& r) {
  const IpPrefix& p = r.destination;
  if (p.length < 0 || p.length > p.address.bit_length())
    return fail(fmt::format("invalid prefix length {}", p.length), EINVAL);
  if (r.oif <= 0) return fail(fmt::format("invalid interface index {}", r.oif), EINVAL);
  return {};
}

}  // namespace

Result<void> route_add(NetlinkSocket& nl, const RouteSpec& route) {
  IpPrefix dst = route.destination.canonical();
  std::string what = fmt::format("add route {}", describe(route, dst));
  if (auto ok = check_spec(route); !ok) return std::unexpected(ok.error().context(what));
  NetlinkMessage msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  auto& rtm = put_route(msg, route, dst);
  // As `ip route add`: a route without a gateway is on-link (scope link for IPv4; IPv6 ignores it).
  rtm.rtm_protocol = RTPROT_BOOT;
  rtm.rtm_scope = dst.address.is_v4() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  rtm.rtm_type = RTN_UNICAST;
  return nl.request(msg, what);
}

Result<void> route_delete(NetlinkSocket& nl, const RouteSpec& route) {
  IpPrefix dst = route.destination.canonical();
  std::string what = fmt::format("delete route {}", describe(route, dst));
  if (auto ok = check_spec(route); !ok) return std::unexpected(ok.error().context(what));
  NetlinkMessage msg(RTM_DELROUTE, 0);
  auto& rtm = put_route(msg, route, dst);
  // As `ip route del`: protocol and type 0 and scope "nowhere" match a route of any of them.
  rtm.rtm_scope = RT_SCOPE_NOWHERE;
  return nl.request(msg, what);
}

Result<std::vector<RouteInfo>> route_list(NetlinkSocket& nl, const RouteFilter& filter) {
  NetlinkMessage msg(RTM_GETROUTE, 0);
  msg.put_header<rtmsg>().rtm_family =
      static_cast<std::uint8_t>(filter.family ? address_family(*filter.family) : AF_UNSPEC);
  std::vector<RouteInfo> out;
  auto r = nl.dump(
      msg, "list routes",
      [&](const nlmsghdr& nlh) {
        if (nlh.nlmsg_type != RTM_NEWROUTE) return;
        const auto* rtm = message_header<rtmsg>(nlh);
        if (!rtm || (rtm->rtm_flags & RTM_F_CLONED)) return;  // cache entries are not routes
        auto info = parse_route_message(nlh);
        if (!info) return;
        if (filter.family && info->destination.address.family() != *filter.family) return;
        if (filter.table && info->table != *filter.table) return;
        if (filter.oif && info->oif != *filter.oif) return;
        out.push_back(std::move(*info));
      },
      [&] { out.clear(); });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<RouteInfo> route_get(NetlinkSocket& nl, const IpAddress& dst,
                            std::optional<std::uint32_t> fwmark) {
  std::string what = fmt::format("look up route to {}", dst.to_string());
  if (fwmark) what += fmt::format(" with fwmark {:#x}", *fwmark);
  NetlinkMessage msg(RTM_GETROUTE, 0);
  auto& rtm = msg.put_header<rtmsg>();
  rtm.rtm_family = static_cast<std::uint8_t>(address_family(dst.family()));
  rtm.rtm_dst_len = static_cast<std::uint8_t>(dst.bit_length());
  // Without this flag IPv4 answers "table main" whatever table the policy rules chose.
  rtm.rtm_flags = RTM_F_LOOKUP_TABLE;
  msg.put_address(RTA_DST, dst);
  if (fwmark) msg.put_u32(RTA_MARK, *fwmark);
  std::optional<RouteInfo> found;
  auto r = nl.request(msg, what, [&](const nlmsghdr& nlh) {
    if (nlh.nlmsg_type == RTM_NEWROUTE) found = parse_route_message(nlh);
  });
  if (!r) return std::unexpected(r.error());
  if (!found) return fail(fmt::format("{}: no answer from the kernel", what), EBADMSG);
  return *found;
}

Result<bool> has_route_covering(NetlinkSocket& nl, const IpPrefix& prefix, int oif,
                                std::uint32_t table) {
  auto routes = route_list(nl, {.family = prefix.address.family(), .table = table, .oif = oif});
  if (!routes) return std::unexpected(routes.error());
  for (const RouteInfo& r : *routes)
    if (r.destination.length <= prefix.length && r.destination.contains(prefix.address))
      return true;
  return false;
}

}  // namespace wgd::net
