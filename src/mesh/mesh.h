// `wgd mesh generate` and `wgd mesh show` as library calls (the CLI only parses arguments):
// read the inventory, load the state from the output directory, plan, then write or describe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mesh/inventory.h"
#include "mesh/output.h"
#include "mesh/plan.h"
#include "util/error.h"

namespace wgd::mesh {

inline constexpr std::string_view kDefaultOutputName = "wgd-mesh";

struct MeshOptions {
  std::optional<std::filesystem::path> output;  // --output: wins over the inventory's `output`
  bool dry_run = false;                         // generate: report only, write nothing
};

Result<Inventory> read_inventory(const std::filesystem::path& path);

// --output as given; else the inventory's `output`, relative to the inventory's directory;
// else "wgd-mesh" next to the inventory.
std::filesystem::path output_directory(const Inventory& inventory,
                                       const std::filesystem::path& inventory_path,
                                       const MeshOptions& options);

struct GenerateReport {
  std::filesystem::path output_dir;
  std::vector<FileReport> files;
  std::vector<std::string> warnings;
};

// Creates the output directory (0700) if needed and holds its lock from reading the state to
// writing the last file.
Result<GenerateReport> generate_mesh(const std::filesystem::path& inventory_path,
                                     const MeshOptions& options,
                                     const MeshRandom& random = system_random());

// The plan as `describe_plan` prints it, from the state as it is (nothing is written).
Result<std::string> show_mesh(const std::filesystem::path& inventory_path,
                              const MeshOptions& options);

}  // namespace wgd::mesh
