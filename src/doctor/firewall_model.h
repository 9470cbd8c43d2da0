// The firewall as doctor reads it: tables, chains and rules from `iptables-save` and
// `nft list ruleset`, reduced to the conditions that decide whether WireGuard's UDP gets through
// (protocol, ports, interfaces, addresses, connection state) and the verdict.
//
// A rule is kept whole as the tool printed it (`text`), so a finding can name the exact rule the
// user has to change. Conditions doctor does not interpret (rate limits, marks, named sets...)
// set `other_conditions`: such a rule matches only *some* packets, and findings say "may".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/ip.h"

namespace wgd::doctor {

// Where in the kernel's path a base chain sits (netfilter hooks).
enum class Hook : std::uint8_t { kPrerouting, kInput, kForward, kOutput, kPostrouting };

enum class Verdict : std::uint8_t {
  kNone,  // no verdict (counter, log, mark...): the next rule decides
  kAccept,
  kDrop,
  kReject,
  kReturn,
  kJump,        // to `target`, coming back on fall-through
  kGoto,        // to `target`, not coming back
  kMasquerade,  // source NAT to the outgoing interface's address
  kSnat,        // source NAT to `target`
  kDnat,        // destination NAT (DNAT, REDIRECT)
};

// A list of alternatives (any one matches), possibly negated ("! -s", "!=").
template <class T>
struct MatchList {
  std::vector<T> values;
  bool negated = false;
};

using PortRange = std::pair<std::uint16_t, std::uint16_t>;  // inclusive

struct FirewallRule {
  std::string text;  // as the tool prints it: "-A INPUT -p udp -m udp --dport 51820 -j DROP"
  std::optional<IpAddress::Family> family;  // only this family (inet tables: "ip saddr" is v4)
  std::optional<MatchList<std::string>> protocols;  // "udp", "tcp", or a number as text
  std::optional<MatchList<PortRange>> dports;
  std::optional<MatchList<PortRange>> sports;
  std::optional<MatchList<std::string>> in_interfaces;  // "eth0", "wg+" / "wg*" wildcards
  std::optional<MatchList<std::string>> out_interfaces;
  std::optional<MatchList<IpPrefix>> sources;
  std::optional<MatchList<IpPrefix>> destinations;
  std::optional<MatchList<std::string>> ct_states;  // "new", "established", "related", "invalid"
  bool other_conditions = false;                    // conditions doctor does not interpret
  Verdict verdict = Verdict::kNone;
  std::string target;  // kJump/kGoto: the chain; kSnat/kDnat: where to (for the message)
};

struct FirewallChain {
  std::string name;
  std::optional<Hook> hook;  // set for base chains (iptables' built-in chains, nft "hook ...")
  std::string type;          // "filter", "nat", "route" (base chains)
  Verdict policy = Verdict::kAccept;  // base chains only
  std::vector<FirewallRule> rules;
};

struct FirewallTable {
  std::string origin;                       // "iptables", "ip6tables", "iptables-legacy", "nft"
  std::string family_name;                  // nft: "ip", "ip6", "inet"; iptables: "ip"/"ip6"
  std::optional<IpAddress::Family> family;  // nullopt: both (inet)
  std::string name;                         // "filter", "nat", "fw"

  std::vector<FirewallChain> chains;

  const FirewallChain* find_chain(std::string_view chain) const {
    for (const auto& c : chains)
      if (c.name == chain) return &c;
    return nullptr;
  }
};

struct Ruleset {
  std::vector<FirewallTable> tables;
  // What could not be read, in plain words ("nft is not installed"), for the report.
  std::vector<std::string> notes;
  // Tool commands that were read, for "more: ..." hints ("iptables-save", "nft list ruleset").
  std::vector<std::string> sources;
};

// "iptables -t filter, chain INPUT" / "nft table inet fw, chain input": where a rule lives, in
// the words of the tool that shows it.
std::string describe_location(const FirewallTable& table, const FirewallChain& chain);
std::string_view verdict_name(Verdict v);  // "accept", "drop", ...
std::string_view hook_name(Hook h);        // "input", ...

}  // namespace wgd::doctor
