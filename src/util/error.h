// Errors with context for configuration and control paths (the packet path uses small enums).
#pragma once

#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace wgd {

struct Error {
  std::string message;
  int code = 0;  // an errno value where one applies (UAPI replies carry it), else 0

  // Prefixes context, so errors read from the outside in: "wg0.conf:3: Address: bad CIDR".
  Error context(std::string_view what) const& {
    return Error{fmt::format("{}: {}", what, message), code};
  }
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message, int code = 0) {
  return std::unexpected(Error{std::move(message), code});
}

template <class... Args>
std::unexpected<Error> failf(fmt::format_string<Args...> f, Args&&... args) {
  return std::unexpected(Error{fmt::format(f, std::forward<Args>(args)...), 0});
}

}  // namespace wgd
