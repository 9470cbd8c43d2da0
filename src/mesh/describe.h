// The text of `wgd mesh show`: the plan as a table (addresses, ports, endpoints, subnets), who
// waits for whom, public keys, warnings. Never a private key.
#pragma once

#include <filesystem>
#include <string>

#include "mesh/plan.h"

namespace wgd::mesh {

std::string describe_plan(const MeshPlan& plan, const std::filesystem::path& output_dir);

}  // namespace wgd::mesh
