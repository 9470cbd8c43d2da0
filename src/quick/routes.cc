#include "quick/routes.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "quick/directory.h"
#include "uapi/showconf.h"

namespace wgd::quick {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::vector<IpPrefix> allowed_ips_in_route_order(const wg::DeviceStatus& status) {
  struct Item {
    IpPrefix prefix;
    std::string text;
  };
  std::vector<Item> items;
  for (const auto& peer : status.peers)
    for (const auto& p : peer.allowed_ips) items.push_back({p, uapi::format_prefix(p)});
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.prefix.length != b.prefix.length) return a.prefix.length > b.prefix.length;
    return a.text > b.text;  // std::string compares bytes, as sort does with LC_ALL=C
  });
  std::vector<IpPrefix> out;
  for (auto& i : items) out.push_back(i.prefix);
  return out;
}

bool has_default_route(const std::vector<IpPrefix>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [](const IpPrefix& p) { return p.length == 0; });
}

std::string read_rt_tables(const std::vector<std::string>& dirs) {
  std::string text;
  for (const auto& dir : dirs) {
    text += read_file(dir + "/rt_tables");
    text += "\n";
    std::vector<std::string> confs;
    Directory d = open_directory(dir + "/rt_tables.d");
    while (dirent* e = d ? ::readdir(d.get()) : nullptr) {
      std::string_view name = e->d_name;
      if (name.ends_with(".conf")) confs.emplace_back(name);
    }
    std::sort(confs.begin(), confs.end());
    for (const auto& c : confs) {
      text += read_file(dir + "/rt_tables.d/" + c);
      text += "\n";
    }
  }
  return text;
}

Result<std::uint32_t> table_id(const uapi::RouteTable& table,
                               const std::vector<std::string>& rt_tables_dirs) {
  switch (table.kind) {
    case uapi::RouteTable::Kind::kNumber:
      return table.number;
    case uapi::RouteTable::Kind::kName:
      if (auto id = uapi::lookup_route_table(table.name, read_rt_tables(rt_tables_dirs))) return *id;
      return failf("Table = {}: no routing table of that name (iproute2's rt_tables)", table.name);
    case uapi::RouteTable::Kind::kAuto:
    case uapi::RouteTable::Kind::kOff:
      break;
  }
  return fail("Table: auto and off name no table");
}

}  // namespace wgd::quick
