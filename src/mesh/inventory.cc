// parse_inventory: INI sections (ini_reader.h) to the Inventory model, one key at a time; the
// rules between hosts are in inventory_checks.cc.
#include "mesh/inventory.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <set>

#include "mesh/error_list.h"
#include "mesh/ini_reader.h"
#include "mesh/inventory_checks.h"

namespace wgd::mesh {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

// Decimal digits only, at most `max`.
std::optional<unsigned> parse_number(std::string_view s, unsigned max) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      }))
    return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

Result<std::uint16_t> parse_port(std::string_view s) {
  auto v = parse_number(s, 65535);
  if (!v || *v == 0) return failf("'{}' is not a port number 1-65535", s);
  return static_cast<std::uint16_t>(*v);
}

// A prefix written with its length and without host bits (a typo such as 172.27.88.1/24 would
// otherwise route a different network than the one meant).
Result<IpPrefix> parse_network(std::string_view s, std::optional<IpAddress::Family> family) {
  auto prefix = IpPrefix::parse(s);
  if (!prefix) return failf("'{}' is not an address prefix such as 10.0.0.0/24", s);
  if (family && prefix->address.family() != *family)
    return failf("'{}' is not an {} prefix", s,
                 *family == IpAddress::Family::kV4 ? "IPv4" : "IPv6");
  if (prefix->canonical() != *prefix)
    return failf("'{}' has host bits set; did you mean {}?", s, prefix->canonical().to_string());
  return *prefix;
}

Result<IpAddress> parse_address(std::string_view s, IpAddress::Family family) {
  const char* name = family == IpAddress::Family::kV4 ? "IPv4" : "IPv6";
  if (s.find('/') != std::string_view::npos)
    return failf("'{}': write the {} address without a prefix length (the mesh's prefix gives it)",
                 s, name);
  auto a = IpAddress::parse(s);
  if (!a || a->family() != family) return failf("'{}' is not an {} address", s, name);
  return *a;
}

bool valid_interface_name(std::string_view s) {
  return !s.empty() && s.size() <= 15 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '=' || c == '+' ||
           c == '.' || c == '-';
  });
}

bool valid_host_name(std::string_view s) {
  return !s.empty() && s.size() <= 63 && s.find('.') == std::string_view::npos &&
         valid_dns_name(s);
}

class Parser {
 public:
  explicit Parser(std::string file_name) : errors_(file_name) {
    inventory_.file_name = std::move(file_name);
  }

  Result<Inventory> parse(const std::vector<IniSection>& sections) {
    for (const auto& section : sections) {
      if (section.kind == "mesh") {
        mesh_section(section);
      } else if (section.kind == "host") {
        host_section(section);
      } else {
        errors_.add(section.line, "unknown section [{}] (expected [mesh] or [host NAME])",
                    section.kind);
      }
    }
    if (!seen_mesh_) errors_.add(1, "no [mesh] section (it gives at least the ipv4 subnet)");
    if (!errors_.empty()) return std::unexpected(errors_.to_error());
    check_inventory(inventory_, errors_);
    if (!errors_.empty()) return std::unexpected(errors_.to_error());
    return std::move(inventory_);
  }

 private:
  using Handler = std::function<Result<void>(std::string_view)>;

  // Runs each entry's handler; reports unknown and repeated keys. `lines` records where each
  // key was written.
  void entries(const IniSection& section, const std::string& label,
               const std::map<std::string, Handler, std::less<>>& handlers,
               std::map<std::string, int, std::less<>>& lines,
               const std::set<std::string, std::less<>>& repeatable) {
    for (const auto& e : section.entries) {
      auto handler = handlers.find(e.key);
      if (handler == handlers.end()) {
        std::string known;
        for (const auto& [k, h] : handlers) known += (known.empty() ? "" : ", ") + k;
        errors_.add(e.line, "{} {}: unknown key (known: {})", label, e.key, known);
        continue;
      }
      if (auto [it, inserted] = lines.emplace(e.key, e.line);
          !inserted && !repeatable.contains(e.key)) {
        errors_.add(e.line, "{} {}: given twice (first at line {})", label, e.key, it->second);
        continue;
      }
      if (auto r = handler->second(e.value); !r)
        errors_.add(e.line, "{} {}: {}", label, e.key, r.error().message);
    }
  }

  void mesh_section(const IniSection& section) {
    if (seen_mesh_) {
      errors_.add(section.line, "a second [mesh] section (the first is at line {})",
                  inventory_.mesh_line);
      return;
    }
    seen_mesh_ = true;
    inventory_.mesh_line = section.line;
    if (!section.argument.empty())
      errors_.add(section.line, "[mesh] takes no name (write 'name = {}' inside it)",
                  section.argument);
    Inventory& inv = inventory_;
    const std::map<std::string, Handler, std::less<>> handlers = {
        {"name",
         [&](std::string_view v) -> Result<void> {
           if (v.empty()) return fail("empty");
           inv.name = v;
           return {};
         }},
        {"ipv4",
         [&](std::string_view v) -> Result<void> {
           auto p = parse_network(v, IpAddress::Family::kV4);
           if (!p) return std::unexpected(p.error());
           if (p->length < 1 || p->length > 30)
             return failf("{}: the length must be 1-30 (a mesh needs room for its hosts)", v);
           inv.ipv4_subnet = *p;
           return {};
         }},
        {"ipv6",
         [&](std::string_view v) -> Result<void> {
           if (iequals(v, "auto")) {
             inv.ipv6_mode = Ipv6Mode::kAuto;
             return {};
           }
           if (iequals(v, "off")) {
             inv.ipv6_mode = Ipv6Mode::kOff;
             return {};
           }
           auto p = parse_network(v, IpAddress::Family::kV6);
           if (!p)
             return failf("{} (or 'auto' for a random ULA prefix, 'off' for none)",
                          p.error().message);
           if (p->length < 1 || p->length > 126)
             return failf("{}: the length must be 1-126 (a mesh needs room for its hosts)", v);
           inv.ipv6_mode = Ipv6Mode::kFixed;
           inv.ipv6_prefix = *p;
           return {};
         }},
        {"listen_port",
         [&](std::string_view v) -> Result<void> {
           if (iequals(v, "random")) {
             inv.listen_port.reset();
             return {};
           }
           auto p = parse_port(v);
           if (!p) return failf("{} (or 'random')", p.error().message);
           inv.listen_port = *p;
           return {};
         }},
        {"domain",
         [&](std::string_view v) -> Result<void> {
           if (!valid_dns_name(v)) return failf("'{}' is not a DNS name", v);
           inv.domain = lower(v);
           return {};
         }},
        {"interface",
         [&](std::string_view v) -> Result<void> {
           if (!valid_interface_name(v))
             return failf("'{}' is not an interface name (1-15 of a-z A-Z 0-9 _=+.-)", v);
           inv.interface = v;
           return {};
         }},
        {"persistent_keepalive",
         [&](std::string_view v) -> Result<void> {
           if (iequals(v, "off")) {
             inv.persistent_keepalive = 0;
             return {};
           }
           auto n = parse_number(v, 65535);
           if (!n) return failf("'{}' is not a number of seconds 0-65535 (or 'off')", v);
           inv.persistent_keepalive = static_cast<std::uint16_t>(*n);
           return {};
         }},
        {"output",
         [&](std::string_view v) -> Result<void> {
           if (v.empty()) return fail("empty");
           inv.output = v;
           return {};
         }},
    };
    entries(section, "[mesh]", handlers, inventory_.key_lines, {});
    if (!inventory_.key_lines.contains("ipv4"))
      errors_.add(section.line, "[mesh] ipv4: missing (the VPN's IPv4 subnet, e.g. 10.0.0.0/24)");
  }

  void host_section(const IniSection& section) {
    InventoryHost host;
    host.line = section.line;
    host.name = lower(section.argument);
    if (section.argument.empty()) {
      errors_.add(section.line, "[host] needs a name: [host NAME]");
      return;
    }
    if (!valid_host_name(section.argument)) {
      errors_.add(section.line,
                  "[host {}]: a host name must be a DNS label (letters, digits, '-'; no dots), "
                  "as it names the output directory",
                  section.argument);
      return;
    }
    const std::string label = fmt::format("[host {}]", host.name);
    const std::map<std::string, Handler, std::less<>> handlers = {
        {"endpoint",
         [&](std::string_view v) -> Result<void> {
           if (iequals(v, "dynamic")) {
             host.endpoint.reset();
             return {};
           }
           auto e = parse_endpoint_spec(v);
           if (!e) return std::unexpected(e.error());
           host.endpoint = *e;
           return {};
         }},
        {"ipv4",
         [&](std::string_view v) -> Result<void> {
           auto a = parse_address(v, IpAddress::Family::kV4);
           if (!a) return std::unexpected(a.error());
           host.ipv4 = *a;
           return {};
         }},
        {"ipv6",
         [&](std::string_view v) -> Result<void> {
           auto a = parse_address(v, IpAddress::Family::kV6);
           if (!a) return std::unexpected(a.error());
           host.ipv6 = *a;
           return {};
         }},
        {"listen_port",
         [&](std::string_view v) -> Result<void> {
           auto p = parse_port(v);
           if (!p) return std::unexpected(p.error());
           host.listen_port = *p;
           return {};
         }},
        {"subnets",
         [&](std::string_view v) -> Result<void> {
           std::string problems;
           while (true) {
             const std::size_t comma = v.find(',');
             std::string_view item = v.substr(0, comma);
             while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
               item.remove_prefix(1);
             while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
               item.remove_suffix(1);
             if (item.empty()) {
               problems += (problems.empty() ? "" : "; ") + std::string("an empty list item");
             } else if (auto p = parse_network(item, std::nullopt); !p) {
               problems += (problems.empty() ? "" : "; ") + p.error().message;
             } else {
               host.subnets.push_back(*p);
             }
             if (comma == std::string_view::npos) break;
             v.remove_prefix(comma + 1);
           }
           if (!problems.empty()) return fail(problems);
           return {};
         }},
        {"comment",
         [&](std::string_view v) -> Result<void> {
           host.comment = v;
           return {};
         }},
    };
    entries(section, label, handlers, host.key_lines, {"subnets"});
    for (const auto& other : inventory_.hosts) {
      if (other.name == host.name) {
        errors_.add(section.line,
                    "[host {}]: a second host of that name (the first is at line {}; names "
                    "are case-insensitive)",
                    section.argument, other.line);
        return;
      }
    }
    inventory_.hosts.push_back(std::move(host));
  }

  ErrorList errors_;
  Inventory inventory_;
  bool seen_mesh_ = false;
};

}  // namespace

int InventoryHost::line_of(std::string_view key) const {
  auto it = key_lines.find(key);
  return it == key_lines.end() ? line : it->second;
}

int Inventory::line_of(std::string_view key) const {
  auto it = key_lines.find(key);
  return it == key_lines.end() ? mesh_line : it->second;
}

const InventoryHost* Inventory::find_host(std::string_view host_name) const {
  for (const auto& h : hosts)
    if (h.name == host_name) return &h;
  return nullptr;
}

std::string Inventory::public_name(const InventoryHost& host) const {
  return domain.empty() ? host.name : host.name + "." + domain;
}

Result<Inventory> parse_inventory(std::string_view text, std::string_view file_name) {
  auto sections = read_ini(text, file_name);
  if (!sections) return std::unexpected(sections.error());
  return Parser(std::string(file_name)).parse(*sections);
}

}  // namespace wgd::mesh
