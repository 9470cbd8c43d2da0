// Where the API listens: "HOST:PORT", "[V6]:PORT" or "unix:/path" (WGD_API_LISTEN).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"

namespace wgd::serve {

struct ListenAddress {
  enum class Kind : std::uint8_t { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;  // kTcp: an IP literal (IPv6 without brackets) or "localhost"
  std::uint16_t port = 0;  // kTcp: 0 = any free port (tests)
  std::string path;  // kUnix: the socket's path

  // "127.0.0.1:8080", "[::1]:8080", "unix:/run/wgd/api.sock": the form parse() reads back.
  std::string to_string() const;
};

Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace wgd::serve
