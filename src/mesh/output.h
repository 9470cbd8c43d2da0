// The generated files and how the output directory is brought to them.
//
//   OUT/mesh-state.json           0600  keys, addresses, drawn values, files written (state.h)
//   OUT/HOST/                     0700
//   OUT/HOST/INTERFACE.conf       0600  the host's wg-quick file (render.h); INTERFACE = wg0
//   OUT/HOST/privatekey           0600  as `wg genkey > privatekey` in seed 002
//   OUT/HOST/publickey            0644  as `wg pubkey < privatekey > publickey`
//
// A file is written only when its content (or mode) changes, atomically and with its mode from
// the first byte; a file the state lists but the plan no longer has (a removed host, a renamed
// interface) is deleted, and nothing else ever is. Every file gets a report line.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mesh/plan.h"
#include "util/error.h"

namespace wgd::mesh {

enum class FileChange : std::uint8_t { kCreated, kUpdated, kUnchanged, kRemoved };
std::string_view to_string(FileChange change);  // "created", "updated", "unchanged", "removed"

struct OutputFile {
  std::string path;  // relative to the output directory: "dolores/wg0.conf"
  std::string content;
  mode_t mode = 0600;
};

struct FileReport {
  std::string path;  // relative to the output directory
  FileChange change = FileChange::kUnchanged;
};

// Every file of the plan except the state, host by host in inventory order.
Result<std::vector<OutputFile>> mesh_files(const MeshPlan& plan);

// Brings `output_dir` (existing; the caller holds its lock) to the plan; with `dry_run` only
// reports what it would do. The state is written first (listing the old and the new files), so
// keys are on disk before any file that uses them, and an interrupted run still knows every file
// it may have written; the final state lists only the new ones. The state's report comes first.
Result<std::vector<FileReport>> write_mesh(const std::filesystem::path& output_dir,
                                           const MeshPlan& plan, bool dry_run);

}  // namespace wgd::mesh
