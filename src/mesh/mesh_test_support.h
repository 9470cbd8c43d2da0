// Shared by the mesh unit tests: seed 002's four hosts as an inventory, a scripted random source
// and a temporary directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "mesh/inventory.h"
#include "mesh/plan.h"

namespace wgd::mesh::test {

// Seed 002: dolores, maeve and bernard with public endpoints, charlotte (dynamic) with its home
// subnet 172.27.88.0/24 (and the IPv6 one) behind it; dolores keeps the seed's fixed addresses.
extern const std::string_view kSeedInventory;

// parse_inventory that fails the test on error.
Inventory must_parse(std::string_view text, std::string_view file_name = "mesh.ini");

// Deterministic "random": private keys 1, 2, 3... (clamped), ports 50001, 50002..., ULA
// prefixes fd00:1::/64, fd00:2::/64... `calls` counts every draw.
struct ScriptedRandom {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  MeshRandom random() const;
};
// A random source that fails the test when used: for runs that must keep everything.
MeshRandom no_random();

// A fresh directory under the test temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& path, std::string_view text);
std::string read_text(const std::filesystem::path& path);
unsigned file_mode(const std::filesystem::path& path);  // permission bits

}  // namespace wgd::mesh::test
