// QR codes drawn with text, for a terminal or a container log: `wgd peer qr` prints this,
// as linuxserver/wireguard prints `qrencode -t ansiutf8` into its log.
//
// Two module rows share one line of half-block characters (█ ▀ ▄ and space). The light
// modules are the characters' foreground, the dark ones the background, exactly as
// qrencode draws them, so the output equals `qrencode -t ansiutf8` (or `-t utf8`) byte for
// byte for the same text, level and margin.
#pragma once

#include <string>

#include "qr/qr_code.h"

namespace wgd::qr {

// `qrencode -t ansiutf8`: every line starts with ESC[40;37;1m (black background, bright
// white foreground) and ends with ESC[0m, so the code reads on light and dark terminals.
std::string to_ansi_utf8(const QrCode& code, int margin = kDefaultMargin);

// `qrencode -t utf8`: the same characters without colour codes; it scans only where the
// terminal draws light text on a dark background.
std::string to_utf8(const QrCode& code, int margin = kDefaultMargin);

}  // namespace wgd::qr
