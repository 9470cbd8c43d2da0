#include "net/rule.h"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <tuple>

namespace wgd::net {

static_assert(kRuleActionLookup == FR_ACT_TO_TBL);

namespace {

constexpr std::uint32_t kAllOnes = 0xffffffff;
// Deleting "every matching rule" stops here even if the kernel kept answering success, so a
// kernel that ignored our selectors cannot make us loop forever.
constexpr int kMaxDeletes = 1024;

std::string table_name(std::uint32_t table) {
  switch (table) {
    case RT_TABLE_MAIN:
      return "main";
    case RT_TABLE_LOCAL:
      return "local";
    case RT_TABLE_DEFAULT:
      return "default";
    default:
      return std::to_string(table);
  }
}

std::string_view family_flag(IpAddress::Family f) {
  return f == IpAddress::Family::kV4 ? "-4" : "-6";
}

void put_rule(NetlinkMessage& msg, const Rule& rule) {
  auto& frh = msg.put_header<fib_rule_hdr>();
  frh.family = static_cast<std::uint8_t>(address_family(rule.family));
  frh.action = rule.action;
  // Tables >= 256 only fit FRA_TABLE; the kernel prefers FRA_TABLE when present.
  frh.table = static_cast<std::uint8_t>(rule.table < 256 ? rule.table : RT_TABLE_UNSPEC);
  if (rule.invert) frh.flags |= FIB_RULE_INVERT;
  if (rule.table) msg.put_u32(FRA_TABLE, rule.table);
  if (rule.fwmark) msg.put_u32(FRA_FWMARK, *rule.fwmark);
  if (rule.fwmask) msg.put_u32(FRA_FWMASK, *rule.fwmask);
  if (rule.suppress_prefixlength) msg.put_u32(FRA_SUPPRESS_PREFIXLEN, *rule.suppress_prefixlength);
  if (rule.priority) msg.put_u32(FRA_PRIORITY, *rule.priority);
}

std::optional<Rule> parse_rule_message(const nlmsghdr& nlh) {
  const auto* frh = message_header<fib_rule_hdr>(nlh);
  if (!frh) return std::nullopt;
  auto family = family_from_af(frh->family);
  if (!family) return std::nullopt;
  AttributeTable attrs(nlh, sizeof(fib_rule_hdr), FRA_MAX);
  Rule r;
  r.family = *family;
  r.action = frh->action;
  r.table = attrs.u32(FRA_TABLE).value_or(frh->table);
  r.invert = frh->flags & FIB_RULE_INVERT;
  r.priority = attrs.u32(FRA_PRIORITY).value_or(0);
  r.fwmark = attrs.u32(FRA_FWMARK);
  // The kernel reports a mask even where none was given; all-ones is the default it assumes.
  auto mask = attrs.u32(FRA_FWMASK);
  if (r.fwmark && mask && *mask != kAllOnes) r.fwmask = mask;
  // -1 (unset) is not sent by current kernels; older ones may send it.
  auto suppress = attrs.u32(FRA_SUPPRESS_PREFIXLEN);
  if (suppress && *suppress != kAllOnes) r.suppress_prefixlength = suppress;
  r.other_selectors = frh->src_len || frh->dst_len || frh->tos || attrs.has(FRA_IIFNAME) ||
                      attrs.has(FRA_OIFNAME) || attrs.has(FRA_UID_RANGE) ||
                      attrs.has(FRA_IP_PROTO) || attrs.has(FRA_SPORT_RANGE) ||
                      attrs.has(FRA_DPORT_RANGE) || attrs.has(FRA_L3MDEV) ||
                      attrs.has(FRA_TUN_ID) || attrs.has(FRA_FLOW) ||
                      (attrs.u32(FRA_SUPPRESS_IFGROUP).value_or(kAllOnes) != kAllOnes);
  return r;
}

// Equal as selectors and action; the priority counts only when `want` names one.
bool same_rule(const Rule& have, const Rule& want) {
  auto selectors = [](const Rule& r) {
    return std::tie(r.family, r.action, r.table, r.fwmark, r.fwmask, r.invert,
                    r.suppress_prefixlength, r.other_selectors);
  };
  if (want.priority && have.priority != want.priority) return false;
  return selectors(have) == selectors(want);
}

}  // namespace

std::string Rule::to_string() const {
  std::string s = invert ? "not from all" : "from all";
  if (fwmark) {
    s += fmt::format(" fwmark {:#x}", *fwmark);
    if (fwmask && *fwmask != kAllOnes) s += fmt::format("/{:#x}", *fwmask);
  }
  if (table) s += " lookup " + table_name(table);
  if (suppress_prefixlength) s += fmt::format(" suppress_prefixlength {}", *suppress_prefixlength);
  switch (action) {
    case FR_ACT_TO_TBL:
      break;
    case FR_ACT_BLACKHOLE:
      s += " blackhole";
      break;
    case FR_ACT_UNREACHABLE:
      s += " unreachable";
      break;
    case FR_ACT_PROHIBIT:
      s += " prohibit";
      break;
    case FR_ACT_NOP:
      s += " nop";
      break;
    default:
      s += fmt::format(" action {}", action);
  }
  return s;
}

Rule wg_quick_fwmark_rule(IpAddress::Family family, std::uint32_t table) {
  Rule r;
  r.family = family;
  r.table = table;
  r.fwmark = table;
  r.invert = true;
  return r;
}

Rule wg_quick_suppress_rule(IpAddress::Family family) {
  Rule r;
  r.family = family;
  r.table = RT_TABLE_MAIN;
  r.suppress_prefixlength = 0;
  return r;
}

Result<void> rule_add(NetlinkSocket& nl, const Rule& rule) {
  std::string what = fmt::format("add rule {} {}", family_flag(rule.family), rule.to_string());
  NetlinkMessage msg(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
  put_rule(msg, rule);
  return nl.request(msg, what);
}

Result<bool> rule_add_if_missing(NetlinkSocket& nl, const Rule& rule) {
  auto rules = rule_list(nl, rule.family);
  if (!rules) return std::unexpected(rules.error());
  for (const Rule& r : *rules)
    if (same_rule(r, rule)) return false;
  if (auto r = rule_add(nl, rule); !r) return std::unexpected(r.error());
  return true;
}

Result<void> rule_delete(NetlinkSocket& nl, const Rule& rule) {
  std::string what = fmt::format("delete rule {} {}", family_flag(rule.family), rule.to_string());
  NetlinkMessage msg(RTM_DELRULE, 0);
  put_rule(msg, rule);
  return nl.request(msg, what);
}

Result<int> rule_delete_all(NetlinkSocket& nl, const Rule& rule) {
  for (int deleted = 0; deleted < kMaxDeletes; ++deleted) {
    auto r = rule_delete(nl, rule);
    if (!r) {
      if (r.error().code == ENOENT) return deleted;
      return std::unexpected(r.error());
    }
  }
  return fail(fmt::format("delete rule {} {}: still matching after {} deletions",
                          family_flag(rule.family), rule.to_string(), kMaxDeletes),
              ELOOP);
}

Result<std::vector<Rule>> rule_list(NetlinkSocket& nl, IpAddress::Family family) {
  NetlinkMessage msg(RTM_GETRULE, 0);
  msg.put_header<fib_rule_hdr>().family = static_cast<std::uint8_t>(address_family(family));
  std::vector<Rule> out;
  auto r = nl.dump(
      msg, fmt::format("list rules {}", family_flag(family)),
      [&](const nlmsghdr& nlh) {
        if (nlh.nlmsg_type != RTM_NEWRULE) return;
        if (auto rule = parse_rule_message(nlh); rule && rule->family == family)
          out.push_back(std::move(*rule));
      },
      [&] { out.clear(); });
  if (!r) return std::unexpected(r.error());
  return out;
}

}  // namespace wgd::net
