#include "mesh/state.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "crypto/key_codec.h"
#include "mesh/file_io.h"
#include "qr/atomic_file.h"

namespace wgd::mesh {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

Result<std::optional<IpAddress>> optional_address(const json& host, const char* field,
                                                  IpAddress::Family family) {
  if (!host.contains(field) || host[field].is_null()) return std::optional<IpAddress>{};
  if (!host[field].is_string()) return failf("{}: not a string", field);
  auto a = IpAddress::parse(host[field].get<std::string>());
  if (!a || a->family() != family) return failf("{}: not an address of the right family", field);
  return std::optional<IpAddress>{*a};
}

Result<MeshState> from_json(const json& doc) {
  if (!doc.is_object()) return fail("not a JSON object");
  if (!doc.contains("version") || !doc["version"].is_number_integer() ||
      doc["version"].get<int>() != kStateVersion)
    return failf("version: expected {} (written by another wgd?)", kStateVersion);
  MeshState state;
  if (doc.contains("ula_prefix") && !doc["ula_prefix"].is_null()) {
    auto p = IpPrefix::parse(doc["ula_prefix"].is_string() ? doc["ula_prefix"].get<std::string>()
                                                           : std::string());
    if (!p || !p->address.is_v6()) return fail("ula_prefix: not an IPv6 prefix");
    state.ula_prefix = *p;
  }
  if (doc.contains("listen_port") && !doc["listen_port"].is_null()) {
    const json& port = doc["listen_port"];
    if (!port.is_number_unsigned() || port.get<unsigned>() < 1 || port.get<unsigned>() > 65535)
      return fail("listen_port: not a port number");
    state.listen_port = static_cast<std::uint16_t>(port.get<unsigned>());
  }
  if (doc.contains("hosts")) {
    if (!doc["hosts"].is_object()) return fail("hosts: not an object");
    for (const auto& [name, host] : doc["hosts"].items()) {
      if (!host.is_object()) return failf("hosts.{}: not an object", name);
      HostState h;
      const json key = host.value("private_key", json());
      auto decoded = key.is_string() ? crypto::secret_key_from_base64(key.get<std::string>())
                                     : std::nullopt;
      if (!decoded) return failf("hosts.{}.private_key: not a base64 key", name);
      h.private_key = std::move(*decoded);
      auto v4 = optional_address(host, "ipv4", IpAddress::Family::kV4);
      if (!v4) return std::unexpected(v4.error().context(fmt::format("hosts.{}", name)));
      auto v6 = optional_address(host, "ipv6", IpAddress::Family::kV6);
      if (!v6) return std::unexpected(v6.error().context(fmt::format("hosts.{}", name)));
      h.ipv4 = *v4;
      h.ipv6 = *v6;
      state.hosts.emplace(name, std::move(h));
    }
  }
  if (doc.contains("files")) {
    if (!doc["files"].is_array()) return fail("files: not an array");
    for (const auto& f : doc["files"]) {
      if (!f.is_string()) return fail("files: an entry that is not a string");
      const std::string path = f.get<std::string>();
      // Only paths this program writes: "HOST/FILE", never absolute or climbing out.
      const std::filesystem::path p(path);
      if (p.is_absolute() || path.empty() ||
          std::any_of(p.begin(), p.end(), [](const auto& part) {
            return part == ".." || part == "." || part.empty();
          }))
        return failf("files: '{}' is not a path inside the output directory", path);
      state.files.push_back(path);
    }
  }
  return state;
}

}  // namespace

MeshState MeshState::clone() const {
  MeshState s;
  s.ula_prefix = ula_prefix;
  s.listen_port = listen_port;
  for (const auto& [name, host] : hosts) s.hosts.emplace(name, host.clone());
  s.files = files;
  return s;
}

std::string render_state(const MeshState& state) {
  json doc = json::object();
  doc["version"] = kStateVersion;
  doc["ula_prefix"] = state.ula_prefix ? json(state.ula_prefix->to_string()) : json();
  doc["listen_port"] = state.listen_port ? json(*state.listen_port) : json();
  json hosts = json::object();
  for (const auto& [name, host] : state.hosts) {
    hosts[name] = {
        {"private_key", crypto::key_to_base64(host.private_key.span())},
        {"ipv4", host.ipv4 ? json(host.ipv4->to_string()) : json()},
        {"ipv6", host.ipv6 ? json(host.ipv6->to_string()) : json()},
    };
  }
  doc["hosts"] = std::move(hosts);
  doc["files"] = state.files;
  return doc.dump(2) + "\n";
}

Result<MeshState> parse_state(std::string_view text, std::string_view file_name) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return failf("{}: not valid JSON", file_name);
  auto state = from_json(doc);
  if (!state) return std::unexpected(state.error().context(file_name));
  return state;
}

Result<MeshState> load_state(const std::filesystem::path& output_dir) {
  const std::filesystem::path path = output_dir / kStateFileName;
  auto file = read_existing(path);
  if (!file) return std::unexpected(file.error());
  if (!*file) return MeshState{};
  return parse_state((*file)->content, path.string());
}

Result<void> save_state(const std::filesystem::path& output_dir, const MeshState& state) {
  return qr::write_file_atomically(output_dir / kStateFileName, render_state(state), 0600);
}

}  // namespace wgd::mesh
