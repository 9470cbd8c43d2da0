#include "serve/fleet/registry_document.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "crypto/key_codec.h"
#include "serve/store/peer_validation.h"

namespace wgd::serve::fleet {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A short, printable excerpt of what the registry sent, for an error message.
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 80) out += "...";
  return out;
}

Result<RegistryDevice> parse_device(const json& item, std::size_t i, const crypto::PublicKey& server_key) {
  const auto where = [i](std::string_view field) { return fmt::format("devices[{}].{}", i, field); };
  if (!item.is_object()) return failf("devices[{}]: not an object", i);
  RegistryDevice d;

  auto name = item.find("name");
  if (name == item.end() || !name->is_string()) return failf("{}: missing or not a string", where("name"));
  d.name = name->get<std::string>();
  if (auto ok = validate_peer_name(d.name); !ok)
    return failf("{}: '{}' cannot name a peer (1-63 letters, digits, '_', '.', '-', starting with a "
                 "letter or digit)",
                 where("name"), excerpt(d.name));

  auto key = item.find("pubkey");
  if (key == item.end() || !key->is_string()) return failf("{}: missing or not a string", where("pubkey"));
  auto parsed = crypto::key_from_base64(key->get<std::string>());
  if (!parsed) return failf("{} ({}): not a WireGuard public key (44 characters of base64)", where("pubkey"), d.name);
  if (std::all_of(parsed->begin(), parsed->end(), [](std::uint8_t b) { return b == 0; }))
    return failf("{} ({}): all zeros", where("pubkey"), d.name);
  if (*parsed == server_key) return failf("{} ({}): is the server's own public key", where("pubkey"), d.name);
  d.public_key = *parsed;

  if (auto ip = item.find("ip"); ip != item.end() && !ip->is_null()) {
    if (!ip->is_string()) return failf("{} ({}): not a string", where("ip"), d.name);
    std::string text = ip->get<std::string>();
    if (!text.empty()) {
      // "10.42.42.2" as Foundries lists it; "10.42.42.2/32" is taken too.
      if (text.ends_with("/32")) text.resize(text.size() - 3);
      auto a = IpAddress::parse(text);
      if (!a || !a->is_v4()) return failf("{} ({}): '{}' is not an IPv4 address", where("ip"), d.name, excerpt(text));
      d.ip = *a;
    }
  }
  if (auto en = item.find("enabled"); en != item.end() && !en->is_null()) {
    if (!en->is_boolean()) return failf("{} ({}): not true or false", where("enabled"), d.name);
    d.enabled = en->get<bool>();
  }
  return d;
}

}  // namespace

Result<std::vector<RegistryDevice>> parse_registry(std::string_view body,
                                                   const crypto::PublicKey& server_key) {
  if (body.size() > kMaxRegistryBytes) return failf("answer larger than {} bytes", kMaxRegistryBytes);
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    return failf("not JSON (error at byte {}); the answer began with '{}'", e.byte, excerpt(body));
  }
  if (!doc.is_array())
    return failf("expected a JSON array of devices ([{{\"name\", \"pubkey\", \"ip\", \"enabled\"}}]), got {}",
                 doc.type_name());
  std::vector<RegistryDevice> out;
  out.reserve(doc.size());
  std::unordered_map<std::string, std::size_t> names;
  std::unordered_map<std::string, std::size_t> keys;
  std::unordered_map<std::string, std::size_t> ips;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    auto d = parse_device(doc[i], i, server_key);
    if (!d) return std::unexpected(d.error());
    if (auto [it, fresh] = names.emplace(lower(d->name), i); !fresh)
      return failf("devices[{}].name: '{}' is also devices[{}] (names ignore case)", i, d->name, it->second);
    if (auto [it, fresh] = keys.emplace(crypto::key_to_base64(d->public_key), i); !fresh)
      return failf("devices[{}].pubkey ({}): the same key as devices[{}]", i, d->name, it->second);
    if (d->ip)
      if (auto [it, fresh] = ips.emplace(d->ip->to_string(), i); !fresh)
        return failf("devices[{}].ip ({}): {} is also devices[{}]'s", i, d->name, d->ip->to_string(), it->second);
    out.push_back(std::move(*d));
  }
  return out;
}

}  // namespace wgd::serve::fleet
