#include "mesh/mesh.h"

#include "mesh/describe.h"
#include "mesh/file_io.h"
#include "mesh/state.h"

namespace wgd::mesh {

Result<Inventory> read_inventory(const std::filesystem::path& path) {
  auto file = read_existing(path);
  if (!file) return std::unexpected(file.error());
  if (!*file) return failf("{}: no such file", path.string());
  return parse_inventory((*file)->content, path.string());
}

std::filesystem::path output_directory(const Inventory& inventory,
                                       const std::filesystem::path& inventory_path,
                                       const MeshOptions& options) {
  if (options.output) return *options.output;
  std::filesystem::path base = inventory_path.parent_path();
  if (base.empty()) base = ".";
  if (inventory.output) {
    const std::filesystem::path out(*inventory.output);
    return out.is_absolute() ? out : base / out;
  }
  return base / kDefaultOutputName;
}

Result<GenerateReport> generate_mesh(const std::filesystem::path& inventory_path,
                                     const MeshOptions& options, const MeshRandom& random) {
  auto inventory = read_inventory(inventory_path);
  if (!inventory) return std::unexpected(inventory.error());
  GenerateReport report;
  report.output_dir = output_directory(*inventory, inventory_path, options);

  UniqueFd lock;
  std::error_code ec;
  const bool exists = std::filesystem::is_directory(report.output_dir, ec);
  if (!options.dry_run) {
    if (!exists) {
      const auto parent = report.output_dir.parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
      if (ec) return failf("{}: {}", parent.string(), ec.message());
      if (auto r = make_directory(report.output_dir, 0700); !r) return std::unexpected(r.error());
    }
    auto locked = lock_directory(report.output_dir);
    if (!locked) return std::unexpected(locked.error());
    lock = std::move(*locked);
  }
  auto state = load_state(report.output_dir);  // empty when there is none yet
  if (!state) return std::unexpected(state.error());
  auto plan = plan_mesh(*inventory, *state, random);
  if (!plan) return std::unexpected(plan.error());
  report.warnings = plan->warnings;
  auto files = write_mesh(report.output_dir, *plan, options.dry_run);
  if (!files) return std::unexpected(files.error());
  report.files = std::move(*files);
  return report;
}

Result<std::string> show_mesh(const std::filesystem::path& inventory_path,
                              const MeshOptions& options) {
  auto inventory = read_inventory(inventory_path);
  if (!inventory) return std::unexpected(inventory.error());
  const auto output_dir = output_directory(*inventory, inventory_path, options);
  auto state = load_state(output_dir);
  if (!state) return std::unexpected(state.error());
  auto plan = plan_mesh(*inventory, *state, system_random());
  if (!plan) return std::unexpected(plan.error());
  return describe_plan(*plan, output_dir);
}

}  // namespace wgd::mesh
