// GET /metrics: the server's state in the Prometheus text format (see prometheus_text.h).
#pragma once

#include <cstdint>
#include <string>

#include "serve/api/api_context.h"
#include "util/error.h"

namespace wgd::serve::api {

// The whole exposition: peer counts by state, per-peer traffic and handshake time (labels
// name and public_key), the API's request counters, build information.
Result<std::string> render_metrics(PeerService& peers, const ApiCounters& counters);

}  // namespace wgd::serve::api
