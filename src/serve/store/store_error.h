// The few ways a store operation can fail, carried in Error::code as an errno value so the
// REST layer can map them to HTTP statuses (404, 409, 409, 400, 500) without parsing text.
#pragma once

#include <cerrno>
#include <string>

#include "util/error.h"

namespace wgd::serve {

enum class StoreErrorKind {
  kNotFound,    // no such peer                                      -> 404
  kConflict,    // name, key, address or route taken; stale revision -> 409
  kSubnetFull,  // no free address left in the tunnel subnet         -> 409
  kInvalid,     // a field fails validation (the message names it)   -> 400
  kIo,          // the database failed or is busy beyond the timeout  -> 500
};

inline constexpr int to_errno(StoreErrorKind k) {
  switch (k) {
    case StoreErrorKind::kNotFound:
      return ENOENT;
    case StoreErrorKind::kConflict:
      return EEXIST;
    case StoreErrorKind::kSubnetFull:
      return ENOSPC;
    case StoreErrorKind::kInvalid:
      return EINVAL;
    case StoreErrorKind::kIo:
      return EIO;
  }
  return EIO;
}

// Any code the store did not set (0, or another errno) reads as kIo.
inline constexpr StoreErrorKind store_error_kind(const Error& e) {
  switch (e.code) {
    case ENOENT:
      return StoreErrorKind::kNotFound;
    case EEXIST:
      return StoreErrorKind::kConflict;
    case ENOSPC:
      return StoreErrorKind::kSubnetFull;
    case EINVAL:
      return StoreErrorKind::kInvalid;
    default:
      return StoreErrorKind::kIo;
  }
}

inline std::unexpected<Error> store_fail(StoreErrorKind kind, std::string message) {
  return fail(std::move(message), to_errno(kind));
}

template <class... Args>
std::unexpected<Error> store_failf(StoreErrorKind kind, fmt::format_string<Args...> f,
                                   Args&&... args) {
  return fail(fmt::format(f, std::forward<Args>(args)...), to_errno(kind));
}

// The error of a failed Result<T>, to return it as another Result<U>.
template <class T>
std::unexpected<Error> error_of(const Result<T>& r) {
  return std::unexpected(r.error());
}

}  // namespace wgd::serve
