// The text of the cross-platform configuration protocol (wireguard.com/xplatform), both ways,
// without any I/O. A request is an operation line and key=value lines ended by a blank line:
//
//   set=1                      get=1
//   private_key=<64 hex>       (blank line)
//   listen_port=51820
//   public_key=<64 hex>        reply: the same keys (plus counters) then "errno=0" and a
//   allowed_ip=10.0.0.2/32     blank line; a refused set replies "errno=-22" and a blank line.
//   (blank line)
//
// Keys are lowercase hex (upper case is accepted on input, as wireguard-go does). An all-zero
// private_key or preshared_key in a set removes the key. Lines before the first public_key
// configure the interface; each public_key starts a peer and the lines after it configure that
// peer. Every error's message names the line and key and never contains the value, so no key
// can leak into a log through it; its `code` is the errno the protocol replies with (positive
// here; the wire carries it negated, see format_errno_line).
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"
#include "wg/config_change.h"

namespace wgd::uapi {

// The lines of a set=1 request after the operation line, up to (not including) the blank line
// that ends it; a final blank line is tolerated. Nothing is applied here: the caller gets the
// whole change or an error, so a refused request changes nothing.
//   EPROTO: a line that is not key=value, or text after the blank line.
//   EINVAL: an unknown key, a key in the wrong section (a peer key before any public_key, an
//           interface key after one), or a bad value (not 64 hex digits, a number out of range,
//           an endpoint that is not numeric IP:port / [IPv6]:port, a CIDR that is not
//           address/length, protocol_version other than 1, a flag whose value is not "true").
// As in wireguard-go, allowed_ip lines that come before a peer's replace_allowed_ips=true are
// dropped (they would have been replaced), and later duplicates of a key override earlier ones.
Result<wg::DeviceChange> parse_set(std::string_view body);

// The inverse of parse_set: the key=value lines (each ending in '\n') of a set=1 request,
// without the operation line and the closing blank line. A peer with `remove` set is written
// as public_key + remove=true only, as wg(8) does (the protocol ignores anything after it).
std::string render_set(const wg::DeviceChange& change);

// The whole reply to get=1: interface keys, then per peer public_key, preshared_key,
// protocol_version, endpoint, last_handshake_time_sec/nsec, tx_bytes, rx_bytes,
// persistent_keepalive_interval and allowed_ip lines (wireguard-go's order), then "errno=0"
// and the blank line. private_key is omitted when unset, listen_port and fwmark when zero.
std::string render_get(const wg::DeviceStatus& status);

// Reads a get=1 reply (as render_get writes it; the blank line at the end is optional). A
// non-zero errno line becomes an Error with that code; a malformed reply is EPROTO. Unknown keys
// are skipped so that replies from implementations with extra keys still parse, as wg(8) does.
Result<wg::DeviceStatus> parse_get(std::string_view reply);

// The reply's last line for a result: "errno=0\n\n", or "errno=-N\n\n" for errno N. The sign is
// what wireguard-go sends and what wg(8) expects after a set (it negates the number to get
// errno); a positive number makes wg print "Unknown error -22".
std::string format_errno_line(int code);

}  // namespace wgd::uapi
