#include "doctor/firewall_model.h"

#include <fmt/format.h>

namespace wgd::doctor {

std::string describe_location(const FirewallTable& table, const FirewallChain& chain) {
  if (table.origin == "nft")
    return fmt::format("nft table {} {}, chain {}", table.family_name, table.name, chain.name);
  return fmt::format("{} -t {}, chain {}", table.origin, table.name, chain.name);
}

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kNone:
      return "continue";
    case Verdict::kAccept:
      return "accept";
    case Verdict::kDrop:
      return "drop";
    case Verdict::kReject:
      return "reject";
    case Verdict::kReturn:
      return "return";
    case Verdict::kJump:
      return "jump";
    case Verdict::kGoto:
      return "goto";
    case Verdict::kMasquerade:
      return "masquerade";
    case Verdict::kSnat:
      return "snat";
    case Verdict::kDnat:
      return "dnat";
  }
  return "?";
}

std::string_view hook_name(Hook h) {
  switch (h) {
    case Hook::kPrerouting:
      return "prerouting";
    case Hook::kInput:
      return "input";
    case Hook::kForward:
      return "forward";
    case Hook::kOutput:
      return "output";
    case Hook::kPostrouting:
      return "postrouting";
  }
  return "?";
}

}  // namespace wgd::doctor
