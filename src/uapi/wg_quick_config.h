// The wg-quick configuration file (wg-quick(8), wg(8) CONFIGURATION FILE FORMAT) as a model,
// read from text and written back as a canonical file.
//
// One parser serves `wgd up`, `wgd strip`, the mesh generator and client configs. It accepts what
// wg-quick and `wg setconf` accept together, with clearer errors:
// - `#` starts a comment anywhere on a line; a line whose first non-blank character is `;` is a
//   comment too (seed 002 writes them; stock wg-quick would hand them to `wg` and fail).
// - Keys and section names are case-insensitive; blanks around `=` and at line ends are ignored.
// - Every error reads "FILE:LINE: Key: what is wrong" and never contains key material.
// - Unknown keys, keys in the wrong section, peers without PublicKey, the same PublicKey in two
//   peers and a peer carrying the interface's own public key are errors. (wg-quick hands unknown
//   [Interface] keys on to `wg addconf`, which fails with "Line unrecognized" after the link was
//   created, so such a file never worked; we say so before touching anything.)
// - Repeated single-value keys: the last one wins, as in both tools; several [Interface]
//   sections merge. Address, DNS, AllowedIPs and the hooks accumulate in file order.
// - Hooks (PreUp...) keep the whole rest of the line, '#' included, as current wg-quick does
//   (Debian 12's 1.0.20210914 cut them at '#'); empty hooks are dropped.
// - Numbers are decimal (FwMark also 0x-hex); ListenPort takes no /etc/services names (wg
//   would); an Endpoint port must be 1-65535 (wg takes 0). MTU is 68-65535; Table is auto, off,
//   0-4294967295 or a name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/types.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::uapi {

// Where wg-quick adds the routes for AllowedIPs (`Table =`).
struct RouteTable {
  enum class Kind : std::uint8_t {
    kAuto,    // the main table, or a fwmark-selected table for default routes
    kOff,     // no routes at all
    kNumber,  // that table id
    kName,    // a name from /etc/iproute2/rt_tables, resolved when routes are added
  };
  Kind kind = Kind::kAuto;
  std::uint32_t number = 0;  // kNumber only
  std::string name;          // kName only: letters, digits, '_', '-', '.'; starts with a letter

  std::string to_string() const;  // "auto", "off", "1234", "vpn"
  friend bool operator==(const RouteTable&, const RouteTable&) = default;
};

// The table id for `name` as iproute2 resolves it: its built-in names (default, main, local) and
// then "ID NAME" lines of `rt_tables_text` (the contents of /etc/iproute2/rt_tables and of
// rt_tables.d/*.conf). Nothing if the name is unknown.
std::optional<std::uint32_t> lookup_route_table(std::string_view name,
                                                std::string_view rt_tables_text);

struct WgQuickInterface {
  // Full-line comments rendered above the [Interface] header (text after "# ").
  std::vector<std::string> comments;

  // What `wg setconf` reads.
  std::optional<crypto::PrivateKey> private_key;
  std::optional<std::uint16_t> listen_port;
  std::optional<std::uint32_t> fwmark;  // 0 = off

  // What wg-quick itself handles.
  std::vector<IpPrefix> addresses;      // as written: host bits kept, a bare address is /32 or /128
  std::vector<IpAddress> dns_servers;   // DNS entries that look like IP addresses
  std::vector<std::string> dns_search;  // every other DNS entry: search domains
  std::optional<std::uint32_t> mtu;     // absent: computed when the link comes up
  std::optional<RouteTable> table;      // absent: as `auto`
  std::vector<std::string> pre_up, post_up, pre_down, post_down;  // in file order; `%i` kept
  bool save_config = false;
};

struct WgQuickPeer {
  // Full-line comments rendered above this [Peer] header, e.g. "host, provider, city".
  std::vector<std::string> comments;

  crypto::PublicKey public_key{};
  std::optional<crypto::PresharedKey> preshared_key;
  std::vector<IpPrefix> allowed_ips;    // every AllowedIPs line appends; kept as written
  std::optional<std::string> endpoint;  // "host:port" or "[v6]:port"; host may be a DNS name
  std::optional<std::uint16_t> persistent_keepalive;  // 0 = off

  WgQuickPeer clone() const;
};

struct WgQuickConfig {
  WgQuickInterface interface;
  std::vector<WgQuickPeer> peers;

  WgQuickConfig clone() const;
};

// Parses a whole file. `file_name` only labels errors ("wg0.conf:7: AllowedIPs: ...").
Result<WgQuickConfig> parse_wg_quick(std::string_view text, std::string_view file_name);

// A canonical file that parse_wg_quick reads back to the same model: comments above each section
// header, then the keys in a fixed order, one line per key (lists joined by ", "). Fails, naming
// the field, when the model holds what no file can say (a line break in a hook or comment, an
// endpoint without port, two peers with one public key...), so rendering can never smuggle extra
// lines into a file.
Result<std::string> render_wg_quick(const WgQuickConfig& config);

// What `wg-quick strip` prints: the part `wg setconf` understands (PrivateKey, ListenPort, FwMark
// and the peers), comments included, wg-quick's own keys left out.
Result<std::string> strip_wg_quick(const WgQuickConfig& config);

// Splits "host:port" / "[host]:port" as `wg` does (the closing bracket, else the last colon); the
// port must be a decimal number 1-65535. Used by the parser and by endpoint resolution.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
Result<HostPort> split_host_port(std::string_view text);

}  // namespace wgd::uapi
