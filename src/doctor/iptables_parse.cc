#include "doctor/iptables_parse.h"

#include <array>
#include <optional>
#include <string>

#include "doctor/rule_values.h"

namespace wgd::doctor {
namespace {

struct BuiltinChain {
  std::string_view table, chain;
  Hook hook;
};

// Which hook each built-in chain of each table sits on.
constexpr std::array kBuiltinChains{
    BuiltinChain{"filter", "INPUT", Hook::kInput},
    BuiltinChain{"filter", "FORWARD", Hook::kForward},
    BuiltinChain{"filter", "OUTPUT", Hook::kOutput},
    BuiltinChain{"nat", "PREROUTING", Hook::kPrerouting},
    BuiltinChain{"nat", "INPUT", Hook::kInput},
    BuiltinChain{"nat", "OUTPUT", Hook::kOutput},
    BuiltinChain{"nat", "POSTROUTING", Hook::kPostrouting},
    BuiltinChain{"mangle", "PREROUTING", Hook::kPrerouting},
    BuiltinChain{"mangle", "INPUT", Hook::kInput},
    BuiltinChain{"mangle", "FORWARD", Hook::kForward},
    BuiltinChain{"mangle", "OUTPUT", Hook::kOutput},
    BuiltinChain{"mangle", "POSTROUTING", Hook::kPostrouting},
    BuiltinChain{"raw", "PREROUTING", Hook::kPrerouting},
    BuiltinChain{"raw", "OUTPUT", Hook::kOutput},
    BuiltinChain{"security", "INPUT", Hook::kInput},
    BuiltinChain{"security", "FORWARD", Hook::kForward},
    BuiltinChain{"security", "OUTPUT", Hook::kOutput},
};

std::optional<Hook> builtin_hook(std::string_view table, std::string_view chain) {
  for (const auto& b : kBuiltinChains)
    if (b.table == table && b.chain == chain) return b.hook;
  return std::nullopt;
}

Verdict policy_verdict(std::string_view policy) {
  if (policy == "DROP") return Verdict::kDrop;
  return Verdict::kAccept;  // ACCEPT; "-" for user chains (no policy)
}

std::optional<Verdict> builtin_target(std::string_view target) {
  if (target == "ACCEPT") return Verdict::kAccept;
  if (target == "DROP") return Verdict::kDrop;
  if (target == "REJECT") return Verdict::kReject;
  if (target == "RETURN") return Verdict::kReturn;
  if (target == "MASQUERADE") return Verdict::kMasquerade;
  if (target == "SNAT") return Verdict::kSnat;
  if (target == "DNAT" || target == "REDIRECT") return Verdict::kDnat;
  return std::nullopt;
}

template <class T>
std::optional<MatchList<T>> make_list(std::vector<T> values, bool negated) {
  if (values.empty()) return std::nullopt;
  return MatchList<T>{std::move(values), negated};
}

// Options whose value is a condition doctor understands, or harmless text; everything else
// before the target is a condition it does not (rate limits, marks, owner, ipsets...).
class RuleReader {
 public:
  RuleReader(const FirewallTable& table, IpAddress::Family family) : table_(table) {
    rule_.family = family;
  }

  // Fills the rule from the words after "-A CHAIN"; returns the chain name.
  std::optional<std::string> read(const std::vector<std::string>& words) {
    std::optional<std::string> chain;
    bool negate = false;
    bool after_target = false;
    for (std::size_t i = 0; i < words.size(); ++i) {
      const std::string& w = words[i];
      auto value = [&]() -> std::string {
        return i + 1 < words.size() ? words[++i] : std::string();
      };
      if (w == "!") {
        negate = true;
        continue;
      }
      if (w == "-A" || w == "--append") {
        chain = value();
      } else if (w == "-p" || w == "--protocol") {
        if (auto p = normalize_protocol(value()))
          rule_.protocols = MatchList<std::string>{{*p}, negate};
      } else if (w == "-s" || w == "--source" || w == "--src") {
        rule_.sources = prefixes(value(), negate);
      } else if (w == "-d" || w == "--destination" || w == "--dst") {
        rule_.destinations = prefixes(value(), negate);
      } else if (w == "-i" || w == "--in-interface") {
        rule_.in_interfaces = MatchList<std::string>{{value()}, negate};
      } else if (w == "-o" || w == "--out-interface") {
        rule_.out_interfaces = MatchList<std::string>{{value()}, negate};
      } else if (w == "-m" || w == "--match") {
        value();  // the module's own options follow and are read one by one
      } else if (w == "--dport" || w == "--destination-port" || w == "--dports" ||
                 w == "--destination-ports") {
        rule_.dports = ports(value(), negate);
      } else if (w == "--sport" || w == "--source-port" || w == "--sports" ||
                 w == "--source-ports") {
        rule_.sports = ports(value(), negate);
      } else if (w == "--ctstate" || w == "--state") {
        std::vector<std::string> states;
        for (auto& s : split_commas(value())) states.push_back(lowercase(s));
        rule_.ct_states = make_list(std::move(states), negate);
      } else if (w == "--comment") {
        value();
      } else if (w == "-j" || w == "--jump" || w == "-g" || w == "--goto") {
        set_target(value(), w == "-g" || w == "--goto");
        after_target = true;
      } else if (w == "--to-source" || w == "--to" || w == "--to-destination" ||
                 w == "--to-ports") {
        rule_.target = value();
      } else if (!w.empty() && w[0] == '-') {
        // An option we do not read. Before the target it is a condition (-m limit --limit ...);
        // after it, an option of the target (--reject-with, --log-prefix...). Its values follow.
        if (!after_target) rule_.other_conditions = true;
        while (i + 1 < words.size() && !words[i + 1].empty() && words[i + 1][0] != '-' &&
               words[i + 1] != "!")
          ++i;
      }
      negate = false;
    }
    return chain;
  }

  FirewallRule take() { return std::move(rule_); }

 private:
  std::optional<MatchList<IpPrefix>> prefixes(std::string_view text, bool negate) {
    std::vector<IpPrefix> out;
    bool any = false;
    for (const auto& word : split_commas(text)) {
      auto p = IpPrefix::parse(word);
      if (!p) {
        rule_.other_conditions = true;  // a host name (iptables resolves them when adding)
        continue;
      }
      any = any || is_any_prefix(*p);
      out.push_back(p->canonical());
    }
    if (any && !negate) return std::nullopt;  // "-s 0.0.0.0/0" is no condition
    return make_list(std::move(out), negate);
  }

  std::optional<MatchList<PortRange>> ports(std::string_view text, bool negate) {
    std::vector<PortRange> out;
    for (const auto& word : split_commas(text)) {
      if (auto r = parse_port_range(word, ':'))
        out.push_back(*r);
      else
        rule_.other_conditions = true;
    }
    return make_list(std::move(out), negate);
  }

  void set_target(const std::string& target, bool is_goto) {
    if (table_.find_chain(target) && !builtin_hook(table_.name, target)) {
      rule_.verdict = is_goto ? Verdict::kGoto : Verdict::kJump;
      rule_.target = target;
    } else if (auto v = builtin_target(target)) {
      rule_.verdict = *v;
    } else {
      rule_.verdict = Verdict::kNone;  // LOG, MARK, CONNMARK, TCPMSS...: the next rule decides
    }
  }

  const FirewallTable& table_;
  FirewallRule rule_;
};

}  // namespace

std::vector<std::string> split_iptables_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false, quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '\\' && i + 1 < line.size()) {
        word += line[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        word += c;
      }
    } else if (c == '"') {
      quoted = in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

IptablesSave parse_iptables_save(std::string_view text, IpAddress::Family family,
                                 std::string_view origin) {
  IptablesSave out;
  FirewallTable* table = nullptr;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.find("(nf_tables)") != std::string_view::npos) out.nf_tables_backend = true;
      continue;
    }
    if (line[0] == '*') {
      FirewallTable t;
      t.origin = std::string(origin);
      t.family_name = family == IpAddress::Family::kV4 ? "ip" : "ip6";
      t.family = family;
      t.name = std::string(line.substr(1));
      out.tables.push_back(std::move(t));
      table = &out.tables.back();
      continue;
    }
    if (!table) continue;
    if (line == "COMMIT") {
      table = nullptr;
      continue;
    }
    if (line[0] == ':') {
      // ":NAME POLICY [packets:bytes]"
      auto words = split_iptables_words(line.substr(1));
      if (words.empty()) continue;
      FirewallChain chain;
      chain.name = words[0];
      chain.hook = builtin_hook(table->name, chain.name);
      chain.type = table->name == "nat" ? "nat" : "filter";
      if (words.size() > 1) chain.policy = policy_verdict(words[1]);
      table->chains.push_back(std::move(chain));
      continue;
    }
    auto words = split_iptables_words(line);
    // iptables-save -c puts "[packets:bytes]" in front of each rule.
    if (!words.empty() && words[0].starts_with('[')) words.erase(words.begin());
    if (words.empty() || (words[0] != "-A" && words[0] != "--append")) continue;
    RuleReader reader(*table, family);
    auto chain_name = reader.read(words);
    if (!chain_name) continue;
    FirewallRule rule = reader.take();
    rule.text = std::string(line);
    if (!table->find_chain(*chain_name)) {  // a rule before its ":CHAIN" line: keep it anyway
      FirewallChain chain;
      chain.name = *chain_name;
      chain.hook = builtin_hook(table->name, chain.name);
      chain.type = table->name == "nat" ? "nat" : "filter";
      table->chains.push_back(std::move(chain));
    }
    for (auto& c : table->chains)
      if (c.name == *chain_name) c.rules.push_back(std::move(rule));
  }
  return out;
}

}  // namespace wgd::doctor
