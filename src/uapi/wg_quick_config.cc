// parse_wg_quick: the wg-quick file format, line by line, with errors that name file, line and key.
#include "uapi/wg_quick_config.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "crypto/compare.h"
#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "uapi/wg_quick_syntax.h"

namespace wgd::uapi {
namespace {

using namespace wg_quick_syntax;

// The keys of both tools, with the section each belongs to.
enum class Key : std::uint8_t {
  // [Interface], read by `wg setconf`
  kPrivateKey,
  kListenPort,
  kFwMark,
  // [Interface], read by wg-quick
  kAddress,
  kDns,
  kMtu,
  kTable,
  kPreUp,
  kPostUp,
  kPreDown,
  kPostDown,
  kSaveConfig,
  // [Peer], read by `wg setconf`
  kPublicKey,
  kPresharedKey,
  kAllowedIps,
  kEndpoint,
  kPersistentKeepalive,
};

struct KeyInfo {
  Key key;
  std::string_view name;  // canonical spelling, used in errors and when rendering
  bool in_peer;
};

constexpr KeyInfo kKeys[] = {
    {Key::kPrivateKey, "PrivateKey", false},
    {Key::kListenPort, "ListenPort", false},
    {Key::kFwMark, "FwMark", false},
    {Key::kAddress, "Address", false},
    {Key::kDns, "DNS", false},
    {Key::kMtu, "MTU", false},
    {Key::kTable, "Table", false},
    {Key::kPreUp, "PreUp", false},
    {Key::kPostUp, "PostUp", false},
    {Key::kPreDown, "PreDown", false},
    {Key::kPostDown, "PostDown", false},
    {Key::kSaveConfig, "SaveConfig", false},
    {Key::kPublicKey, "PublicKey", true},
    {Key::kPresharedKey, "PresharedKey", true},
    {Key::kAllowedIps, "AllowedIPs", true},
    {Key::kEndpoint, "Endpoint", true},
    {Key::kPersistentKeepalive, "PersistentKeepalive", true},
};

const KeyInfo* find_key(std::string_view name) {
  for (const auto& k : kKeys)
    if (iequals(k.name, name)) return &k;
  return nullptr;
}

// A name from the file that is safe to repeat in an error: short and plainly a word. Anything
// else could be key material pasted into the wrong place, so it is not echoed.
std::string quoted_name(std::string_view s) {
  bool plain = !s.empty() && s.size() <= 24 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ' ';
  });
  return plain ? fmt::format("'{}'", s) : std::string("(not shown)");
}

// Every blank removed, as `wg setconf` reads its keys' values ("10.0.0.1/32, fd00::/64").
std::string without_blanks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (!is_blank(c)) out.push_back(c);
  return out;
}

// Splits on commas and blanks, dropping empty words, as wg-quick's `${value//,/ }` does.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ',' || is_blank(s[i]))) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ',' && !is_blank(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// FwMark as `wg` reads it: "off", decimal, or hex with a lowercase "0x" prefix.
std::optional<std::uint32_t> parse_fwmark(std::string_view s) {
  if (iequals(s, "off")) return 0;
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') {
    std::string_view hex = s.substr(2);
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
    if (ec != std::errc() || p != hex.data() + hex.size() || v > 0xffffffffu) return std::nullopt;
    return static_cast<std::uint32_t>(v);
  }
  return parse_decimal<std::uint32_t>(s);
}

std::optional<RouteTable> parse_table(std::string_view s) {
  RouteTable t;
  if (iequals(s, "auto")) return t;
  if (iequals(s, "off")) {
    t.kind = RouteTable::Kind::kOff;
    return t;
  }
  if (auto n = parse_decimal<std::uint32_t>(s)) {
    t.kind = RouteTable::Kind::kNumber;
    t.number = *n;
    return t;
  }
  if (!valid_table_name(s)) return std::nullopt;
  t.kind = RouteTable::Kind::kName;
  t.name = std::string(s);
  return t;
}

void wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
}

// What the parser remembers about each peer besides the model, for the checks at the end.
struct PeerLines {
  std::size_t header = 0;
  std::size_t public_key = 0;  // 0: no PublicKey line yet
};

class Parser {
 public:
  explicit Parser(std::string_view file_name) : file_(file_name) {}

  Result<WgQuickConfig> run(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF"))
      text.remove_prefix(3);  // a UTF-8 BOM from Windows editors
    std::size_t number = 0, pos = 0;
    while (true) {
      auto nl = text.find('\n', pos);
      std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
      if (auto r = parse_line(++number, line); !r) return std::unexpected(r.error());
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    flush_comments(section_ == Section::kPeer ? &config_.peers.back().comments
                                              : &config_.interface.comments);
    if (auto r = finish(); !r) return std::unexpected(r.error());
    return std::move(config_);
  }

 private:
  enum class Section : std::uint8_t { kNone, kInterface, kPeer };

  std::unexpected<Error> error(std::size_t line, std::string_view what) const {
    return failf("{}:{}: {}", file_, line, what);
  }
  std::unexpected<Error> error(std::size_t line, std::string_view key,
                               std::string_view what) const {
    return failf("{}:{}: {}: {}", file_, line, key, what);
  }

  void flush_comments(std::vector<std::string>* to) {
    for (auto& c : pending_comments_) to->push_back(std::move(c));
    pending_comments_.clear();
  }

  Result<void> parse_line(std::size_t number, std::string_view line) {
    std::string_view t = trim(line);
    if (t.empty()) return {};
    if (t.front() == '#' || t.front() == ';') {
      std::string_view c = t.substr(1);
      if (!c.empty() && c.front() == ' ') c.remove_prefix(1);
      pending_comments_.emplace_back(trim(c));
      return {};
    }
    std::string_view content = trim(line.substr(0, line.find('#')));
    if (content.front() == '[') return parse_header(number, content);

    auto eq = content.find('=');
    if (eq == std::string_view::npos)
      return error(number, "expected 'Key = value', [Interface] or [Peer]");
    std::string_view name = trim(content.substr(0, eq));
    std::string_view value = trim(content.substr(eq + 1));
    // Hooks keep everything after the first '=', '#' included, as current wg-quick does, so a
    // command may contain '#'.
    std::string_view raw_value = trim(line.substr(line.find('=') + 1));

    const KeyInfo* key = find_key(name);
    if (section_ == Section::kNone) {
      if (!key) return error(number, fmt::format("unknown key {}", quoted_name(name)));
      return error(number, key->name, "appears before any [Interface] or [Peer] header");
    }
    const char* here = section_ == Section::kPeer ? "[Peer]" : "[Interface]";
    if (!key) return error(number, fmt::format("unknown key {} in {}", quoted_name(name), here));
    if (key->in_peer != (section_ == Section::kPeer))
      return error(number, key->name,
                   fmt::format("not valid in {} (it belongs in {})", here,
                               key->in_peer ? "[Peer]" : "[Interface]"));
    flush_comments(section_ == Section::kPeer ? &config_.peers.back().comments
                                              : &config_.interface.comments);
    return key->in_peer ? peer_key(number, *key, value)
                        : interface_key(number, *key, value, raw_value);
  }

  Result<void> parse_header(std::size_t number, std::string_view content) {
    if (content.back() != ']') return error(number, "a section header must end with ']'");
    std::string_view name = trim(content.substr(1, content.size() - 2));
    if (iequals(name, "Interface")) {
      section_ = Section::kInterface;
      flush_comments(&config_.interface.comments);
    } else if (iequals(name, "Peer")) {
      section_ = Section::kPeer;
      config_.peers.emplace_back();
      peer_lines_.push_back({number, 0});
      flush_comments(&config_.peers.back().comments);
    } else {
      return error(number, fmt::format("unknown section {}; expected [Interface] or [Peer]",
                                       quoted_name(name)));
    }
    return {};
  }

  Result<void> interface_key(std::size_t number, const KeyInfo& key, std::string_view value,
                             std::string_view raw_value) {
    auto& itf = config_.interface;
    switch (key.key) {
      case Key::kPrivateKey: {
        std::string v = without_blanks(value);
        if (v.empty()) return error(number, key.name, "missing value");
        auto k = crypto::secret_key_from_base64(v);
        wipe(v);
        if (!k) return error(number, key.name, "value is not a valid base64 key");
        itf.private_key = std::move(*k);
        private_key_line_ = number;
        return {};
      }
      case Key::kListenPort: {
        std::string v = without_blanks(value);
        if (v.empty()) return error(number, key.name, "missing value");
        auto port = parse_decimal<std::uint16_t>(v);
        if (!port)
          return error(number, key.name, fmt::format("'{}' is not a port number 0-65535", v));
        itf.listen_port = *port;
        return {};
      }
      case Key::kFwMark: {
        std::string v = without_blanks(value);
        if (v.empty()) return error(number, key.name, "missing value");
        auto mark = parse_fwmark(v);
        if (!mark)
          return error(number, key.name,
                       fmt::format("'{}' is neither off nor a number 0-0xffffffff", v));
        itf.fwmark = *mark;
        return {};
      }
      case Key::kAddress:
        for (auto w : words(value)) {
          auto p = IpPrefix::parse(w);
          if (!p)
            return error(number, key.name,
                         fmt::format("'{}' is not a valid IP address or prefix", w));
          itf.addresses.push_back(*p);
        }
        return {};
      case Key::kDns:
        for (auto w : words(value)) {
          if (looks_like_ip(w)) {
            auto a = IpAddress::parse(w);
            if (!a)
              return error(number, key.name, fmt::format("'{}' is not a valid IP address", w));
            itf.dns_servers.push_back(*a);
          } else if (valid_search_domain(w)) {
            itf.dns_search.emplace_back(w);
          } else {
            return error(number, key.name,
                         fmt::format("'{}' is neither an IP address nor a search domain", w));
          }
        }
        return {};
      case Key::kMtu: {
        if (value.empty()) {  // wg-quick: an empty MTU means "compute it"
          itf.mtu.reset();
          return {};
        }
        auto mtu = parse_decimal<std::uint32_t>(value, 65535);
        if (!mtu || *mtu < 68)
          return error(number, key.name, fmt::format("'{}' is not an MTU 68-65535", value));
        itf.mtu = *mtu;
        return {};
      }
      case Key::kTable: {
        if (value.empty()) {  // wg-quick: an empty Table means auto
          itf.table.reset();
          return {};
        }
        auto t = parse_table(value);
        if (!t)
          return error(number, key.name,
                       fmt::format("'{}' is not auto, off, a table number or a table name", value));
        itf.table = std::move(*t);
        return {};
      }
      case Key::kPreUp:
      case Key::kPostUp:
      case Key::kPreDown:
      case Key::kPostDown: {
        if (raw_value.empty()) return {};  // wg-quick would run an empty command: nothing
        auto& list = key.key == Key::kPreUp     ? itf.pre_up
                     : key.key == Key::kPostUp  ? itf.post_up
                     : key.key == Key::kPreDown ? itf.pre_down
                                                : itf.post_down;
        list.emplace_back(raw_value);
        return {};
      }
      case Key::kSaveConfig:
        if (iequals(value, "true")) {
          itf.save_config = true;
        } else if (iequals(value, "false")) {
          itf.save_config = false;
        } else {
          return error(number, key.name, fmt::format("'{}' is neither true nor false", value));
        }
        return {};
      default:
        break;
    }
    return error(number, key.name, "not valid in [Interface]");
  }

  Result<void> peer_key(std::size_t number, const KeyInfo& key, std::string_view value) {
    auto& peer = config_.peers.back();
    std::string v = without_blanks(value);
    if (v.empty()) return error(number, key.name, "missing value");
    switch (key.key) {
      case Key::kPublicKey: {
        auto k = crypto::key_from_base64(v);
        if (!k) return error(number, key.name, "value is not a valid base64 key");
        peer.public_key = *k;
        peer_lines_.back().public_key = number;
        return {};
      }
      case Key::kPresharedKey: {
        auto k = crypto::secret_key_from_base64(v);
        wipe(v);
        if (!k) return error(number, key.name, "value is not a valid base64 key");
        peer.preshared_key = std::move(*k);
        return {};
      }
      case Key::kAllowedIps: {
        std::string_view rest = v;
        while (true) {
          auto comma = rest.find(',');
          std::string_view item = rest.substr(0, comma);
          if (item.empty()) return error(number, key.name, "empty entry in the list");
          auto p = IpPrefix::parse(item);
          if (!p)
            return error(number, key.name, fmt::format("'{}' is not a valid IP prefix", item));
          peer.allowed_ips.push_back(*p);
          if (comma == std::string_view::npos) break;
          rest = rest.substr(comma + 1);
        }
        return {};
      }
      case Key::kEndpoint: {
        if (auto r = check_endpoint_text(v); !r) return error(number, key.name, r.error().message);
        peer.endpoint = std::move(v);
        return {};
      }
      case Key::kPersistentKeepalive: {
        if (iequals(v, "off")) {
          peer.persistent_keepalive = 0;
          return {};
        }
        auto secs = parse_decimal<std::uint16_t>(v);
        if (!secs)
          return error(number, key.name,
                       fmt::format("'{}' is neither off nor a number of seconds 0-65535", v));
        peer.persistent_keepalive = *secs;
        return {};
      }
      default:
        break;
    }
    return error(number, key.name, "not valid in [Peer]");
  }

  // Checks that need the whole file.
  Result<void> finish() {
    std::optional<crypto::PublicKey> own;
    if (config_.interface.private_key && !config_.interface.private_key->is_zero())
      own = crypto::x25519_public(*config_.interface.private_key);
    std::map<crypto::PublicKey, std::size_t> seen;
    for (std::size_t i = 0; i < config_.peers.size(); ++i) {
      const auto& lines = peer_lines_[i];
      if (lines.public_key == 0) return error(lines.header, "[Peer]", "missing PublicKey");
      const auto& key = config_.peers[i].public_key;
      if (auto [it, inserted] = seen.emplace(key, lines.public_key); !inserted)
        return error(lines.public_key, "PublicKey",
                     fmt::format("the same key as the peer at line {}", it->second));
      if (own && crypto::equal_ct(*own, key))
        return error(lines.public_key, "PublicKey",
                     fmt::format("the interface's own public key (PrivateKey at line {}); a host "
                                 "is not its own peer",
                                 private_key_line_));
    }
    return {};
  }

  std::string_view file_;
  WgQuickConfig config_;
  std::vector<PeerLines> peer_lines_;
  std::vector<std::string> pending_comments_;
  Section section_ = Section::kNone;
  std::size_t private_key_line_ = 0;
};

}  // namespace

std::string RouteTable::to_string() const {
  switch (kind) {
    case Kind::kAuto:
      return "auto";
    case Kind::kOff:
      return "off";
    case Kind::kNumber:
      return std::to_string(number);
    case Kind::kName:
      return name;
  }
  return "auto";
}

std::optional<std::uint32_t> lookup_route_table(std::string_view name,
                                                std::string_view rt_tables_text) {
  // iproute2's built-in names (lib/rt_names.c).
  if (name == "default") return 253;
  if (name == "main") return 254;
  if (name == "local") return 255;
  while (!rt_tables_text.empty()) {
    auto nl = rt_tables_text.find('\n');
    std::string_view line = rt_tables_text.substr(0, nl);
    rt_tables_text = nl == std::string_view::npos ? "" : rt_tables_text.substr(nl + 1);
    line = trim(line.substr(0, line.find('#')));
    auto gap = std::find_if(line.begin(), line.end(), is_blank);
    if (gap == line.end()) continue;
    std::string_view id(line.begin(), gap);
    std::string_view entry = trim(std::string_view(gap, line.end()));
    if (entry != name) continue;
    if (id.size() > 2 && id[0] == '0' && (id[1] == 'x' || id[1] == 'X')) {
      std::uint32_t v = 0;
      auto [p, ec] = std::from_chars(id.data() + 2, id.data() + id.size(), v, 16);
      if (ec == std::errc() && p == id.data() + id.size()) return v;
    } else if (auto v = parse_decimal<std::uint32_t>(id)) {
      return v;
    }
  }
  return std::nullopt;
}

WgQuickPeer WgQuickPeer::clone() const {
  WgQuickPeer p;
  p.comments = comments;
  p.public_key = public_key;
  if (preshared_key) p.preshared_key = preshared_key->clone();
  p.allowed_ips = allowed_ips;
  p.endpoint = endpoint;
  p.persistent_keepalive = persistent_keepalive;
  return p;
}

WgQuickConfig WgQuickConfig::clone() const {
  WgQuickConfig c;
  const auto& i = interface;
  auto& o = c.interface;
  o.comments = i.comments;
  if (i.private_key) o.private_key = i.private_key->clone();
  o.listen_port = i.listen_port;
  o.fwmark = i.fwmark;
  o.addresses = i.addresses;
  o.dns_servers = i.dns_servers;
  o.dns_search = i.dns_search;
  o.mtu = i.mtu;
  o.table = i.table;
  o.pre_up = i.pre_up;
  o.post_up = i.post_up;
  o.pre_down = i.pre_down;
  o.post_down = i.post_down;
  o.save_config = i.save_config;
  for (const auto& p : peers) c.peers.push_back(p.clone());
  return c;
}

Result<WgQuickConfig> parse_wg_quick(std::string_view text, std::string_view file_name) {
  return Parser(file_name).run(text);
}

Result<HostPort> split_host_port(std::string_view text) {
  if (text.empty()) return fail("empty endpoint");
  std::string_view host, port;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return failf("'{}' has no closing ']'", text);
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':' || close + 2 == text.size())
      return failf("'{}' has no port", text);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == text.size())
      return failf("'{}' has no port", text);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return failf("'{}' has no host", text);
  auto p = parse_decimal<std::uint16_t>(port);
  if (!p || *p == 0) return failf("'{}': port '{}' is not a number 1-65535", text, port);
  return HostPort{std::string(host), *p};
}

}  // namespace wgd::uapi
