// What the firewall does to a kind of packet: "a new UDP datagram to port 51820 arriving from
// another host", "traffic forwarded in from wg0", "traffic from 10.8.0.0/24 leaving the host".
//
// Every base chain on the packet's path is walked rule by rule, following jumps, as netfilter
// does; a packet must pass all of them (an accept ends only its own chain). What the packet is
// not known for (its source address, the interface it arrives on, a rate limit) makes a rule
// match only *some* of the packets: such a rule never decides alone, it is reported as a
// "partial" block or as an exception to a block that follows it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "doctor/firewall_model.h"

namespace wgd::doctor {

enum class Path : std::uint8_t {
  kInput,    // arriving for this host: hooks prerouting and input
  kForward,  // passing through: prerouting and forward
  kOutput,   // sent by this host: output and postrouting
};

struct PacketQuery {
  IpAddress::Family family = IpAddress::Family::kV4;
  Path path = Path::kInput;
  std::optional<std::string> protocol;  // "udp"; nullopt: any traffic
  std::optional<std::uint16_t> dport;
  std::optional<std::string> in_interface;   // known input interface
  std::optional<std::string> out_interface;  // known output interface
  // Another host is at the far end: traffic never arrives or leaves on "lo".
  bool remote = true;
  std::optional<IpPrefix> source;  // every packet's source lies in it (a host is a /32 or /128)
  std::optional<IpPrefix> destination;
  std::string ct_state = "new";  // conntrack state of the packets: "new", "established"
};

// How much of a query's traffic a rule matches.
enum class Coverage : std::uint8_t { kNone, kSome, kAll };
Coverage rule_coverage(const FirewallRule& rule, const PacketQuery& query);

// A rule (or, with rule == nullptr, a chain's policy) and what it does.
struct Decision {
  Verdict verdict = Verdict::kAccept;
  const FirewallTable* table = nullptr;
  const FirewallChain* chain = nullptr;
  const FirewallRule* rule = nullptr;  // nullptr: the chain's policy

  // `rule "-A INPUT -p udp --dport 51820 -j DROP" (iptables -t filter, chain INPUT)` or
  // `the policy drop of chain input (nft table inet fw)`.
  std::string describe() const;
};

struct FilterOutcome {
  std::optional<Decision> block;         // drops or rejects every packet not excepted below
  std::vector<Decision> exceptions;      // earlier rules that let some packets through
  std::vector<Decision> partial_blocks;  // rules that drop or reject some of the packets
};
// The filter chains (type filter, and iptables' raw/mangle/security tables) on the query's path.
FilterOutcome check_filter(const Ruleset& rules, const PacketQuery& query);

struct NatOutcome {
  std::optional<Decision> nat;        // masquerade/snat for every packet of the query
  std::vector<Decision> partial_nat;  // masquerade/snat for some of them
};
// The source NAT chains (type nat, hook postrouting) for a query with path kOutput.
NatOutcome check_source_nat(const Ruleset& rules, const PacketQuery& query);

}  // namespace wgd::doctor
