// What `wgd mesh generate` chose and must keep from run to run: each host's private key and
// allocated addresses, the drawn ULA prefix and listen port, and the files it wrote (so a host
// removed from the inventory takes exactly its own files with it, and nothing else is deleted).
//
// Stored as JSON in OUT/mesh-state.json, mode 0600 (it holds every private key), replaced
// atomically. The state is not meant to be edited: the inventory is the user's file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/types.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::mesh {

inline constexpr std::string_view kStateFileName = "mesh-state.json";

struct HostState {
  crypto::PrivateKey private_key;
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;

  HostState clone() const { return {private_key.clone(), ipv4, ipv6}; }
};

struct MeshState {
  std::optional<IpPrefix> ula_prefix;        // drawn for ipv6 = auto
  std::optional<std::uint16_t> listen_port;  // drawn for listen_port = random
  std::map<std::string, HostState> hosts;    // by host name
  std::vector<std::string> files;            // relative to the output directory, sorted

  MeshState clone() const;
};

// JSON text and back; errors name `file_name` and the field, never a key.
std::string render_state(const MeshState& state);
Result<MeshState> parse_state(std::string_view json, std::string_view file_name);

// OUT/mesh-state.json, or an empty state when the file does not exist (a first run).
Result<MeshState> load_state(const std::filesystem::path& output_dir);
Result<void> save_state(const std::filesystem::path& output_dir, const MeshState& state);

}  // namespace wgd::mesh
