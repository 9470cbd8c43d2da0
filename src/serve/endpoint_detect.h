// WGD_ENDPOINT=auto: the host part of the Endpoint in client configs, guessed as the address of
// the interface that holds the default route (what a client elsewhere would most likely
// reach). Behind NAT it is the private address, so the start-up summary says how it was found.
#pragma once

#include <optional>
#include <string>

namespace wgd::serve {

// The first address of the interface with the IPv4 default route, else of the one with the
// IPv6 default route (global scope only). Nothing when there is no default route.
std::optional<std::string> detect_endpoint_host();

}  // namespace wgd::serve
