// wgd mesh generate|show INVENTORY: a full-mesh VPN from one inventory file (see mesh/mesh.h
// and docs/mesh.md).
#include <cstdio>
#include <map>
#include <memory>

#include "cli/command.h"
#include "mesh/mesh.h"

namespace wgd::cli {
namespace {

constexpr const char* kInventoryHelp =
    "The inventory, an INI file: a [mesh] section (ipv4 = SUBNET required; ipv6 = auto|PREFIX|off, "
    "listen_port = random|PORT, domain, name, interface, persistent_keepalive, output) and one "
    "[host NAME] section per host (endpoint = HOST[:PORT], omitted for hosts that wait; "
    "comment; ipv4/ipv6 fixed addresses; listen_port; subnets = PREFIX, ...). See docs/mesh.md.";

struct MeshArgs {
  std::string inventory;
  std::string output;
  bool dry_run = false;

  mesh::MeshOptions options() const {
    mesh::MeshOptions o;
    if (!output.empty()) o.output = output;
    o.dry_run = dry_run;
    return o;
  }
};

CLI::App* add(CLI::App& parent, const char* name, const char* help, MeshArgs& args) {
  auto* cmd = parent.add_subcommand(name, help);
  cmd->add_option("INVENTORY", args.inventory, kInventoryHelp)->required();
  cmd->add_option("-o,--output", args.output,
                  "The output directory (default: the inventory's `output`, else wgd-mesh next "
                  "to the inventory); it also holds the state that keeps keys and addresses");
  return cmd;
}

void generate(const MeshArgs& args) {
  auto report = mesh::generate_mesh(args.inventory, args.options());
  if (!report) {
    std::fprintf(stderr, "wgd mesh generate: %s\n", report.error().message.c_str());
    exit_code() = 1;
    return;
  }
  std::map<mesh::FileChange, int> counts;
  for (const auto& f : report->files) {
    ++counts[f.change];
    std::printf("%-9s  %s\n", std::string(mesh::to_string(f.change)).c_str(),
                (report->output_dir / f.path).c_str());
  }
  std::printf("%s%d created, %d updated, %d unchanged, %d removed\n",
              args.dry_run ? "dry run, nothing written: " : "",
              counts[mesh::FileChange::kCreated], counts[mesh::FileChange::kUpdated],
              counts[mesh::FileChange::kUnchanged], counts[mesh::FileChange::kRemoved]);
  for (const auto& w : report->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

void show(const MeshArgs& args) {
  auto text = mesh::show_mesh(args.inventory, args.options());
  if (!text) {
    std::fprintf(stderr, "wgd mesh show: %s\n", text.error().message.c_str());
    exit_code() = 1;
    return;
  }
  std::fputs(text->c_str(), stdout);
}

}  // namespace

void register_mesh_command(CLI::App& app) {
  auto* mesh = app.add_subcommand(
      "mesh", "A full-mesh VPN from one inventory: every host's keys and wg-quick file");
  mesh->require_subcommand(1);
  auto args = std::make_shared<MeshArgs>();
  auto* gen = add(*mesh, "generate",
                  "Write OUT/HOST/wg0.conf, privatekey and publickey for every host; re-runs "
                  "keep keys and addresses and rewrite only changed files",
                  *args);
  gen->add_flag("-n,--dry-run", args->dry_run, "Report what would change; write nothing");
  gen->callback([args] { generate(*args); });
  auto* sh = add(*mesh, "show",
                 "Print the plan: addresses, ports, endpoints, subnets, who waits for whom", *args);
  sh->callback([args] { show(*args); });
}

}  // namespace wgd::cli
