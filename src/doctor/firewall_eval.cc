#include "doctor/firewall_eval.h"

#include <fmt/format.h>

#include <algorithm>

namespace wgd::doctor {
namespace {

// Deeper than any real ruleset; stops a loop of jumps.
constexpr int kMaxJumpDepth = 32;

Coverage from_bool(bool matches) {
  return matches ? Coverage::kAll : Coverage::kNone;
}

Coverage negate_if(Coverage c, bool negated) {
  if (!negated || c == Coverage::kSome) return c;
  return c == Coverage::kAll ? Coverage::kNone : Coverage::kAll;
}

bool name_matches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && (pattern.back() == '+' || pattern.back() == '*'))
    return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == name;
}

Coverage interfaces(const MatchList<std::string>& list, const std::optional<std::string>& known,
                    bool never_loopback) {
  if (known) {
    bool in = std::any_of(list.values.begin(), list.values.end(),
                          [&](const std::string& p) { return name_matches(p, *known); });
    return negate_if(from_bool(in), list.negated);
  }
  bool only_loopback = std::all_of(list.values.begin(), list.values.end(),
                                   [](const std::string& p) { return p == "lo"; });
  if (never_loopback && only_loopback) return negate_if(Coverage::kNone, list.negated);
  return Coverage::kSome;
}

// How much of `query_prefix` lies in the listed prefixes.
Coverage addresses(const MatchList<IpPrefix>& list, const std::optional<IpPrefix>& query_prefix) {
  if (!query_prefix) return Coverage::kSome;
  Coverage best = Coverage::kNone;
  for (const auto& p : list.values) {
    if (p.address.family() != query_prefix->address.family()) continue;
    if (p.length <= query_prefix->length && p.contains(query_prefix->address)) {
      best = Coverage::kAll;
      break;
    }
    if (p.overlaps(*query_prefix)) best = Coverage::kSome;
  }
  return negate_if(best, list.negated);
}

Coverage ports(const MatchList<PortRange>& list, const std::optional<std::uint16_t>& port) {
  if (!port) return Coverage::kSome;
  bool in = std::any_of(list.values.begin(), list.values.end(),
                        [&](const PortRange& r) { return r.first <= *port && *port <= r.second; });
  return negate_if(from_bool(in), list.negated);
}

bool is_terminal(Verdict v) {
  return v == Verdict::kAccept || v == Verdict::kDrop || v == Verdict::kReject ||
         v == Verdict::kMasquerade || v == Verdict::kSnat || v == Verdict::kDnat;
}

bool blocks(Verdict v) {
  return v == Verdict::kDrop || v == Verdict::kReject;
}

struct Walk {
  const FirewallTable& table;
  const PacketQuery& query;
  std::vector<Decision> partial;  // terminal verdicts (and returns) for some of the packets
};

// Walks `chain`; the decision for every packet (that no partial rule took), or nothing when the
// packets fall through (end of chain, return). In `some` mode only a part of the query's packets
// got here (a jump that matched some), so nothing decides for all of them.
std::optional<Decision> walk_chain(Walk& w, const FirewallChain& chain, bool some, int depth) {
  for (const auto& rule : chain.rules) {
    Coverage c = rule_coverage(rule, w.query);
    if (c == Coverage::kNone) continue;
    const bool partial = some || c == Coverage::kSome;
    Decision d{rule.verdict, &w.table, &chain, &rule};
    switch (rule.verdict) {
      case Verdict::kNone:
        break;
      case Verdict::kReturn:
        if (!partial) return std::nullopt;
        w.partial.push_back(d);  // some packets leave this chain here
        break;
      case Verdict::kJump:
      case Verdict::kGoto: {
        const FirewallChain* target = w.table.find_chain(rule.target);
        if (!target || depth >= kMaxJumpDepth) break;
        if (auto decided = walk_chain(w, *target, partial, depth + 1)) return decided;
        if (rule.verdict == Verdict::kGoto && !partial) return std::nullopt;
        break;
      }
      default:
        if (!is_terminal(rule.verdict)) break;
        if (!partial) return d;
        w.partial.push_back(d);
        break;
    }
  }
  return std::nullopt;
}

bool family_applies(const FirewallTable& table, IpAddress::Family family) {
  return !table.family || *table.family == family;
}

bool on_path(Hook hook, Path path) {
  switch (path) {
    case Path::kInput:
      return hook == Hook::kPrerouting || hook == Hook::kInput;
    case Path::kForward:
      return hook == Hook::kPrerouting || hook == Hook::kForward;
    case Path::kOutput:
      return hook == Hook::kOutput || hook == Hook::kPostrouting;
  }
  return false;
}

}  // namespace

Coverage rule_coverage(const FirewallRule& rule, const PacketQuery& q) {
  if (rule.family && *rule.family != q.family) return Coverage::kNone;
  Coverage result = Coverage::kAll;
  auto add = [&](Coverage c) { result = std::min(result, c); };
  if (rule.protocols) {
    if (q.protocol) {
      bool in = std::find(rule.protocols->values.begin(), rule.protocols->values.end(),
                          *q.protocol) != rule.protocols->values.end();
      add(negate_if(from_bool(in), rule.protocols->negated));
    } else {
      add(Coverage::kSome);
    }
  }
  if (rule.dports) add(ports(*rule.dports, q.dport));
  if (rule.sports) add(Coverage::kSome);  // the peer's source port is anyone's guess
  const bool arriving = q.remote && q.path != Path::kOutput;
  const bool leaving = q.remote && q.path == Path::kOutput;
  if (rule.in_interfaces) add(interfaces(*rule.in_interfaces, q.in_interface, arriving));
  if (rule.out_interfaces) add(interfaces(*rule.out_interfaces, q.out_interface, leaving));
  if (rule.sources) add(addresses(*rule.sources, q.source));
  if (rule.destinations) add(addresses(*rule.destinations, q.destination));
  if (rule.ct_states) {
    bool in = std::find(rule.ct_states->values.begin(), rule.ct_states->values.end(), q.ct_state) !=
              rule.ct_states->values.end();
    add(negate_if(from_bool(in), rule.ct_states->negated));
  }
  if (rule.other_conditions) add(Coverage::kSome);
  return result;
}

std::string Decision::describe() const {
  std::string where = table && chain ? describe_location(*table, *chain) : std::string("?");
  if (!rule) return fmt::format("the {} policy of {}", verdict_name(verdict), where);
  return fmt::format("rule \"{}\" ({})", rule->text, where);
}

FilterOutcome check_filter(const Ruleset& rules, const PacketQuery& query) {
  FilterOutcome out;
  for (const auto& table : rules.tables) {
    if (!family_applies(table, query.family)) continue;
    for (const auto& chain : table.chains) {
      if (!chain.hook || !on_path(*chain.hook, query.path)) continue;
      if (chain.type != "filter" && chain.type != "route") continue;  // nat chains do not filter
      Walk w{table, query, {}};
      auto decided = walk_chain(w, chain, false, 0);
      if (!decided) decided = Decision{chain.policy, &table, &chain, nullptr};
      for (const auto& d : w.partial)
        if (blocks(d.verdict)) out.partial_blocks.push_back(d);
      if (blocks(decided->verdict) && !out.block) {
        out.block = *decided;
        for (const auto& d : w.partial)
          if (!blocks(d.verdict)) out.exceptions.push_back(d);
      }
    }
  }
  return out;
}

NatOutcome check_source_nat(const Ruleset& rules, const PacketQuery& query) {
  NatOutcome out;
  for (const auto& table : rules.tables) {
    if (!family_applies(table, query.family)) continue;
    for (const auto& chain : table.chains) {
      if (chain.hook != Hook::kPostrouting || chain.type != "nat") continue;
      Walk w{table, query, {}};
      auto decided = walk_chain(w, chain, false, 0);
      auto is_snat = [](Verdict v) { return v == Verdict::kMasquerade || v == Verdict::kSnat; };
      if (decided && is_snat(decided->verdict) && !out.nat) out.nat = *decided;
      for (const auto& d : w.partial)
        if (is_snat(d.verdict)) out.partial_nat.push_back(d);
    }
  }
  return out;
}

}  // namespace wgd::doctor
