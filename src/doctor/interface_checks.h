// The interface itself: it exists here, is up, has addresses and a sensible MTU, has a private
// key, and a UDP socket in this network namespace holds its listening port. Pure functions.
#pragma once

#include <vector>

#include "doctor/facts.h"
#include "doctor/finding.h"
#include "wg/config_change.h"

namespace wgd::doctor {

std::vector<Finding> check_interface(const InterfaceFacts& facts, const wg::DeviceStatus& status);

}  // namespace wgd::doctor
