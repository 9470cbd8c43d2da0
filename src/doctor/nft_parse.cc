#include "doctor/nft_parse.h"

#include <optional>
#include <set>
#include <string>

#include "doctor/rule_values.h"

namespace wgd::doctor {
namespace {

// Words of an nft line: quoted strings (quotes removed), "{", "}", "," and "!=" on their own.
std::vector<std::string> split_nft_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') {
      flush();
      std::string quoted;
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        quoted += line[i];
      }
      words.push_back(std::move(quoted));
    } else if (c == ' ' || c == '\t' || c == ';') {
      flush();
    } else if (c == '{' || c == '}' || c == ',') {
      flush();
      words.emplace_back(1, c);
    } else {
      word += c;
    }
  }
  flush();
  return words;
}

// Words that start a statement or are a verdict: where skipping an unknown statement stops.
const std::set<std::string, std::less<>>& statement_words() {
  static const std::set<std::string, std::less<>> words{
      "ip",    "ip6",      "meta",     "iifname",  "oifname", "iif",    "oif",      "udp",
      "tcp",   "th",       "sctp",     "dccp",     "udplite", "ct",     "counter",  "log",
      "limit", "accept",   "drop",     "reject",   "jump",    "goto",   "return",   "masquerade",
      "snat",  "dnat",     "redirect", "comment",  "notrack", "queue",  "continue", "fib",
      "ether", "vlan",     "mark",     "icmp",     "icmpv6",  "socket", "rt",       "ipsec",
      "quota", "tproxy",   "numgen",   "jhash",    "symhash", "osf",    "exthdr",   "fwd",
      "dup",   "synproxy", "nftrace",  "pkttype",  "skuid",   "skgid",  "cgroup",   "rtclass",
      "cpu",   "nfproto",  "l4proto",  "priority", "length",  "time",   "day",      "hour"};
  return words;
}

class RuleParser {
 public:
  RuleParser(std::vector<std::string> words, std::optional<IpAddress::Family> family)
      : w_(std::move(words)) {
    rule_.family = family;
  }

  FirewallRule parse() {
    while (pos_ < w_.size()) statement();
    return std::move(rule_);
  }

 private:
  bool at_end() const { return pos_ >= w_.size(); }
  const std::string& peek() const {
    static const std::string empty;
    return at_end() ? empty : w_[pos_];
  }
  std::string next() { return at_end() ? std::string() : w_[pos_++]; }

  // An optional relational operator; true for "!=". Comparisons (<, >) are conditions we do not
  // evaluate.
  bool op() {
    const std::string& o = peek();
    if (o == "!=") {
      ++pos_;
      return true;
    }
    if (o == "==" || o == "eq") {
      ++pos_;
    } else if (o == "<" || o == ">" || o == "<=" || o == ">=" || o == "lt" || o == "gt") {
      ++pos_;
      rule_.other_conditions = true;
    } else if (o == "ne") {
      ++pos_;
      return true;
    }
    return false;
  }

  // A value or an anonymous set "{ a, b }"; a named set "@name" or a map is a condition we do
  // not evaluate (returns nothing).
  std::vector<std::string> values() {
    std::vector<std::string> out;
    if (peek() == "{") {
      ++pos_;
      while (!at_end() && peek() != "}") {
        std::string v = next();
        if (v != ",") out.push_back(std::move(v));
      }
      if (!at_end()) ++pos_;  // "}"
    } else if (!at_end()) {
      out.push_back(next());
      // A list without braces, as nft prints flags: "established,related".
      while (peek() == "," && pos_ + 1 < w_.size()) {
        ++pos_;
        out.push_back(next());
      }
    }
    for (const auto& v : out) {
      if (v.starts_with('@') || v == ":" || v == "vmap" || v == "map") {
        rule_.other_conditions = true;
        return {};
      }
    }
    return out;
  }

  void family_constraint(IpAddress::Family f) {
    if (rule_.family && *rule_.family != f) {
      rule_.other_conditions = true;  // "ip saddr" in an ip6 table: never matches; be cautious
    }
    rule_.family = f;
  }

  void addresses(std::optional<MatchList<IpPrefix>>& slot) {
    bool negated = op();
    std::vector<IpPrefix> prefixes;
    bool any = false;
    for (const auto& v : values()) {
      auto p = IpPrefix::parse(v);
      if (!p) {
        rule_.other_conditions = true;  // ranges "a-b", named sets
        return;
      }
      any = any || is_any_prefix(*p);
      prefixes.push_back(p->canonical());
    }
    if (prefixes.empty()) return;
    if (any && !negated) return;
    slot = MatchList<IpPrefix>{std::move(prefixes), negated};
  }

  void ports(std::optional<MatchList<PortRange>>& slot) {
    bool negated = op();
    std::vector<PortRange> ranges;
    for (const auto& v : values()) {
      auto r = parse_port_range(v, '-');
      if (!r) {
        rule_.other_conditions = true;
        return;
      }
      ranges.push_back(*r);
    }
    if (!ranges.empty()) slot = MatchList<PortRange>{std::move(ranges), negated};
  }

  void names(std::optional<MatchList<std::string>>& slot) {
    bool negated = op();
    auto v = values();
    if (!v.empty()) slot = MatchList<std::string>{std::move(v), negated};
  }

  void protocols() {
    bool negated = op();
    std::vector<std::string> list;
    for (const auto& v : values())
      if (auto p = normalize_protocol(v)) list.push_back(*p);
    if (!list.empty()) rule_.protocols = MatchList<std::string>{std::move(list), negated};
  }

  // "udp dport 51820" implies the protocol, unless an explicit one was given.
  void implied_protocol(const std::string& proto) {
    if (!rule_.protocols) rule_.protocols = MatchList<std::string>{{proto}, false};
  }

  // An unknown statement: a condition we do not evaluate; its words run to the next known one.
  void unknown() {
    rule_.other_conditions = true;
    while (!at_end() && !statement_words().contains(peek())) ++pos_;
  }

  // "KEY set VALUE" is an action, not a condition.
  bool setter() {
    if (peek() != "set") return false;
    ++pos_;
    values();
    return true;
  }

  void meta_key(const std::string& key) {
    if (key == "l4proto") {
      protocols();
    } else if (key == "nfproto") {
      op();
      auto v = values();
      if (v.size() == 1 && v[0] == "ipv4")
        family_constraint(IpAddress::Family::kV4);
      else if (v.size() == 1 && v[0] == "ipv6")
        family_constraint(IpAddress::Family::kV6);
      else
        rule_.other_conditions = true;
    } else if (key == "iifname" || key == "iif") {
      names(rule_.in_interfaces);
    } else if (key == "oifname" || key == "oif") {
      names(rule_.out_interfaces);
    } else if (!setter()) {
      op();
      values();
      rule_.other_conditions = true;
    }
  }

  void statement() {
    std::string word = next();
    if (word == "ip" || word == "ip6") {
      family_constraint(word == "ip" ? IpAddress::Family::kV4 : IpAddress::Family::kV6);
      std::string field = next();
      if (field == "saddr")
        addresses(rule_.sources);
      else if (field == "daddr")
        addresses(rule_.destinations);
      else if (field == "protocol" || field == "nexthdr")
        protocols();
      else if (!setter()) {
        op();
        values();
        rule_.other_conditions = true;
      }
    } else if (word == "meta") {
      meta_key(next());
    } else if (word == "iifname" || word == "oifname" || word == "iif" || word == "oif" ||
               word == "l4proto" || word == "nfproto") {
      meta_key(word);
    } else if (word == "udp" || word == "tcp" || word == "sctp" || word == "dccp" ||
               word == "udplite" || word == "th") {
      if (word != "th") implied_protocol(word);
      std::string field = next();
      if (field == "dport")
        ports(rule_.dports);
      else if (field == "sport")
        ports(rule_.sports);
      else {
        op();
        values();
        rule_.other_conditions = true;
      }
    } else if (word == "ct") {
      std::string key = next();
      if (key == "state") {
        bool negated = op();
        std::vector<std::string> states;
        for (const auto& v : values())
          for (auto& s : split_commas(v)) states.push_back(lowercase(s));
        if (!states.empty()) rule_.ct_states = MatchList<std::string>{std::move(states), negated};
      } else if (!setter()) {
        op();
        values();
        rule_.other_conditions = true;
      }
    } else if (word == "counter") {
      while (peek() == "packets" || peek() == "bytes") pos_ += 2;
    } else if (word == "log") {
      static const std::set<std::string, std::less<>> options{
          "prefix", "level", "flags", "group", "snaplen", "queue-threshold"};
      while (options.contains(peek())) {
        pos_ += 2;
        while (peek() == ",") pos_ += 2;  // "flags tcp sequence,options"
      }
    } else if (word == "comment") {
      next();
    } else if (word == "notrack" || word == "continue" || word == "nftrace") {
      if (word == "nftrace") setter();
    } else if (word == "accept" || word == "drop" || word == "return") {
      rule_.verdict = word == "accept" ? Verdict::kAccept
                      : word == "drop" ? Verdict::kDrop
                                       : Verdict::kReturn;
    } else if (word == "reject") {
      rule_.verdict = Verdict::kReject;
      rest_of_action();
    } else if (word == "jump" || word == "goto") {
      rule_.verdict = word == "jump" ? Verdict::kJump : Verdict::kGoto;
      rule_.target = next();
    } else if (word == "masquerade") {
      rule_.verdict = Verdict::kMasquerade;
      rest_of_action();
    } else if (word == "snat" || word == "dnat" || word == "redirect") {
      rule_.verdict = word == "snat" ? Verdict::kSnat : Verdict::kDnat;
      while (!at_end() && peek() != "to" && peek() != "comment") ++pos_;
      if (peek() == "to") {
        ++pos_;
        rule_.target = next();
      }
      rest_of_action();
    } else {
      --pos_;
      unknown();
      if (pos_ < w_.size() && w_[pos_] == word) ++pos_;  // never loop on one word
    }
  }

  // The arguments of reject/masquerade/snat ("with icmp port-unreachable", "random"), up to a
  // trailing comment.
  void rest_of_action() {
    while (!at_end() && peek() != "comment") ++pos_;
  }

  std::vector<std::string> w_;
  std::size_t pos_ = 0;
  FirewallRule rule_;
};

// The IP families an nft table family sees; false for arp, bridge and netdev.
bool ip_table_family(std::string_view name, std::optional<IpAddress::Family>& family) {
  family.reset();
  if (name == "ip")
    family = IpAddress::Family::kV4;
  else if (name == "ip6")
    family = IpAddress::Family::kV6;
  else if (name != "inet")
    return false;
  return true;
}

std::optional<Hook> parse_hook(std::string_view name) {
  if (name == "prerouting") return Hook::kPrerouting;
  if (name == "input") return Hook::kInput;
  if (name == "forward") return Hook::kForward;
  if (name == "output") return Hook::kOutput;
  if (name == "postrouting") return Hook::kPostrouting;
  return std::nullopt;
}

int brace_balance(std::string_view line) {
  int depth = 0;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '{') ++depth;
    if (c == '}') --depth;
  }
  return depth;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

FirewallRule parse_nft_rule(std::string_view line, std::optional<IpAddress::Family> table_family) {
  FirewallRule rule = RuleParser(split_nft_words(line), table_family).parse();
  rule.text = std::string(trim(line));
  return rule;
}

std::vector<FirewallTable> parse_nft_ruleset(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(trim(text.substr(start, end - start)));
    start = end + 1;
  }

  std::vector<FirewallTable> tables;
  FirewallTable* table = nullptr;  // null: outside a table, or in one we leave out
  FirewallChain* chain = nullptr;
  int skip_table_depth = 0;  // > 0: inside a table of another family, counting braces
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty() || line[0] == '#') continue;
    if (skip_table_depth > 0) {
      skip_table_depth += brace_balance(line);
      continue;
    }
    auto words = split_nft_words(line);
    if (words.empty()) continue;
    if (!table && !chain) {
      if (words[0] != "table" || words.size() < 3) continue;
      std::optional<IpAddress::Family> family;
      if (!ip_table_family(words[1], family)) {
        skip_table_depth = brace_balance(line);
        continue;
      }
      FirewallTable t;
      t.origin = "nft";
      t.family_name = words[1];
      t.family = family;
      t.name = words[2];
      tables.push_back(std::move(t));
      table = &tables.back();
      continue;
    }
    if (table && !chain) {
      if (words[0] == "}") {
        table = nullptr;
      } else if (words[0] == "chain" && words.size() >= 2) {
        table->chains.push_back(FirewallChain{.name = words[1]});
        chain = &table->chains.back();
      } else {
        // set, map, flowtable, counter, quota, ct helper...: skip the whole block.
        int depth = brace_balance(line);
        while (depth > 0 && i + 1 < lines.size()) depth += brace_balance(lines[++i]);
      }
      continue;
    }
    // Inside a chain.
    if (words[0] == "}") {
      chain = nullptr;
      continue;
    }
    if (words[0] == "type" && words.size() >= 2) {
      // "type filter hook input priority filter; policy drop;"
      chain->type = words[1];
      for (std::size_t k = 2; k + 1 < words.size(); ++k) {
        if (words[k] == "hook") chain->hook = parse_hook(words[k + 1]);
        if (words[k] == "policy")
          chain->policy = words[k + 1] == "drop" ? Verdict::kDrop : Verdict::kAccept;
      }
      continue;
    }
    if (words[0] == "policy" && words.size() >= 2) {
      chain->policy = words[1] == "drop" ? Verdict::kDrop : Verdict::kAccept;
      continue;
    }
    if (words[0] == "comment" && words.size() == 2) continue;  // the chain's own comment
    // A rule, possibly continued over several lines while a set is open.
    std::string rule_text(line);
    int depth = brace_balance(line);
    while (depth > 0 && i + 1 < lines.size()) {
      rule_text += ' ';
      rule_text += lines[++i];
      depth += brace_balance(lines[i]);
    }
    chain->rules.push_back(parse_nft_rule(rule_text, table->family));
  }
  return tables;
}

}  // namespace wgd::doctor
