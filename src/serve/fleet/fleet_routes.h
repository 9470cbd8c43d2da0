// HTTP routes of fleet sync, registered on `wgd serve`'s API server:
//
//   GET  /api/v1/fleet/status                 the last poll: when, how it went, what changed
//   POST /api/v1/fleet/sync                   poll now; answers with that poll's outcome
//   GET  /api/v1/fleet/devices                this factory's peers: address, old address, live state
//   GET  /api/v1/fleet/server                 {factory, endpoint, server_address, subnet, public_key}
//   GET  /api/v1/fleet/wireguard-server       the factory's "wireguard-server" file (text)
//   GET  /api/v1/fleet/wireguard-server.json  the body of `fioctl config set --raw`
//   GET  /api/v1/fleet/devices/{name}/wireguard-client       the device's file (text)
//   GET  /api/v1/fleet/devices/{name}/wireguard-client.json  `fioctl devices config set --raw`
//
// status, sync and devices need the API token; the published files (server and
// wireguard-client: public keys and addresses only) need it too unless
// WGD_FLEET_PUBLISH_AUTH=none, so that devices can fetch them without the admin token.
#pragma once

#include "serve/api/api_context.h"
#include "serve/fleet/fleet_sync.h"

namespace wgd::serve::fleet {

void register_fleet_routes(api::ApiContext& ctx, FleetSync& sync);

}  // namespace wgd::serve::fleet
