// Where the registry answer comes from: an HTTP(S) GET (cpp-httplib's client, OpenSSL for
// https) with the token in a header, or a local file (written by the operator's own tooling,
// a sidecar, a config-management run...).
#pragma once

#include <chrono>
#include <string>

#include "serve/fleet/fleet_settings.h"
#include "util/error.h"

namespace wgd::serve::fleet {

struct FetchOptions {
  // Short enough that a hung registry delays a shutdown by seconds, not minutes.
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds read_timeout{15};
};

// The body of a successful answer (HTTP 200, or the file's bytes), at most kMaxRegistryBytes.
// Errors say what failed and where ("GET https://h/p: HTTP 500", "GET ...: connection refused",
// "read /x: No such file or directory") and never contain the token.
Result<std::string> fetch_registry(const FleetSettings& settings, const FetchOptions& options = {});

}  // namespace wgd::serve::fleet
