#include "mesh/output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "crypto/key_codec.h"
#include "mesh/file_io.h"
#include "mesh/render.h"
#include "mesh/state.h"
#include "qr/atomic_file.h"

namespace wgd::mesh {
namespace {

FileChange compare(const std::optional<ExistingFile>& existing, const std::string& content,
                   mode_t mode) {
  if (!existing) return FileChange::kCreated;
  return existing->content == content && existing->mode == mode ? FileChange::kUnchanged
                                                                : FileChange::kUpdated;
}

// Writes `content` unless it is there already; fixes only the mode when just that differs.
Result<void> update_file(const std::filesystem::path& path,
                         const std::optional<ExistingFile>& existing, const std::string& content,
                         mode_t mode) {
  if (existing && existing->content == content) {
    if (existing->mode != mode && ::chmod(path.c_str(), mode) != 0)
      return failf("{}: chmod: {}", path.string(), std::strerror(errno));
    return {};
  }
  return qr::write_file_atomically(path, content, mode);
}

}  // namespace

std::string_view to_string(FileChange change) {
  switch (change) {
    case FileChange::kCreated: return "created";
    case FileChange::kUpdated: return "updated";
    case FileChange::kUnchanged: return "unchanged";
    case FileChange::kRemoved: return "removed";
  }
  return "?";
}

Result<std::vector<OutputFile>> mesh_files(const MeshPlan& plan) {
  std::vector<OutputFile> files;
  for (std::size_t i = 0; i < plan.hosts.size(); ++i) {
    const PlannedHost& host = plan.hosts[i];
    const std::string dir = host.inventory.name + "/";
    auto config = render_host_config(plan, i);
    if (!config) return std::unexpected(config.error());
    files.push_back({dir + plan.inventory.interface + ".conf", std::move(*config), 0600});
    files.push_back({dir + "privatekey", crypto::key_to_base64(host.private_key.span()) + "\n", 0600});
    files.push_back({dir + "publickey", crypto::key_to_base64(host.public_key) + "\n", 0644});
  }
  return files;
}

Result<std::vector<FileReport>> write_mesh(const std::filesystem::path& output_dir,
                                           const MeshPlan& plan, bool dry_run) {
  auto files = mesh_files(plan);
  if (!files) return std::unexpected(files.error());

  std::set<std::string> new_paths, all_paths(plan.state.files.begin(), plan.state.files.end());
  for (const auto& f : *files) new_paths.insert(f.path);
  all_paths.insert(new_paths.begin(), new_paths.end());
  std::vector<std::string> stale;
  for (const auto& old : plan.state.files)
    if (!new_paths.contains(old)) stale.push_back(old);

  MeshState interim = plan.state.clone();
  interim.files.assign(all_paths.begin(), all_paths.end());
  MeshState final_state = plan.state.clone();
  final_state.files.assign(new_paths.begin(), new_paths.end());
  const std::string interim_text = render_state(interim);
  const std::string final_text = render_state(final_state);

  const std::filesystem::path state_path = output_dir / kStateFileName;
  auto existing_state = read_existing(state_path);
  if (!existing_state) return std::unexpected(existing_state.error());

  std::vector<FileReport> reports;
  reports.push_back({std::string(kStateFileName), compare(*existing_state, final_text, 0600)});
  std::vector<std::optional<ExistingFile>> existing;
  for (const auto& f : *files) {
    auto e = read_existing(output_dir / f.path);
    if (!e) return std::unexpected(e.error());
    reports.push_back({f.path, compare(*e, f.content, f.mode)});
    existing.push_back(std::move(*e));
  }
  std::vector<std::string> present_stale;
  for (const auto& path : stale) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(output_dir / path, ec))) {
      reports.push_back({path, FileChange::kRemoved});
      present_stale.push_back(path);
    }
  }
  if (dry_run) return reports;

  if (!*existing_state || (*existing_state)->content != interim_text ||
      (*existing_state)->mode != 0600) {
    if (auto r = qr::write_file_atomically(state_path, interim_text, 0600); !r)
      return std::unexpected(r.error());
  }
  for (std::size_t i = 0; i < files->size(); ++i) {
    const OutputFile& f = (*files)[i];
    const std::filesystem::path path = output_dir / f.path;
    if (auto r = make_directory(path.parent_path(), 0700); !r) return std::unexpected(r.error());
    if (auto r = update_file(path, existing[i], f.content, f.mode); !r)
      return std::unexpected(r.error());
  }
  for (const auto& path : present_stale) {
    const std::filesystem::path full = output_dir / path;
    if (::unlink(full.c_str()) != 0 && errno != ENOENT)
      return failf("{}: unlink: {}", full.string(), std::strerror(errno));
    // The host's directory goes with its last file; a directory still holding other files
    // (ENOTEMPTY) stays.
    ::rmdir(full.parent_path().c_str());
  }
  if (final_text != interim_text) {
    if (auto r = qr::write_file_atomically(state_path, final_text, 0600); !r)
      return std::unexpected(r.error());
  }
  return reports;
}

}  // namespace wgd::mesh
