// Pieces shared by the writers that replace files whole (QR images and client configurations,
// the hosts file): each names its own errors, these only do the system-call work.
#pragma once

#include <unistd.h>

#include <string>
#include <string_view>

namespace wgd::util {

// Writes all of `bytes`, through short writes and EINTR. Returns 0, or the errno that stopped it.
int write_all(int fd, std::string_view bytes);

// Removes a temporary file when it goes out of scope, unless commit() says the rename has made
// it the real one: no failure path can leave a stray copy (which may hold secrets) behind.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!committed_) ::unlink(path_.c_str());
  }
  void commit() { committed_ = true; }

 private:
  std::string path_;
  bool committed_ = false;
};

}  // namespace wgd::util
