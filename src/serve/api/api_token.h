// The API's bearer token: 32 random bytes, base64url, in <data_dir>/api-token (0600), created
// at first start. A running server notices when the file changes (`wgd serve --rotate-token`
// from another process) within a second.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "crypto/types.h"
#include "util/error.h"

namespace wgd::serve::api {

class ApiToken {
 public:
  // Reads the token file, or creates it (0600) with a fresh token; repairs a looser mode.
  static Result<std::unique_ptr<ApiToken>> open(std::string path);

  // Whether `presented` is the current token, in time independent of where they differ.
  bool matches(std::string_view presented);
  // Replaces the token (file written atomically, 0600) and returns the new one.
  Result<std::string> rotate();

  bool created() const { return created_; }  // made by open() just now (first start)
  const std::string& path() const { return path_; }

  // 32 random bytes as unpadded base64url (43 characters).
  static std::string generate();

  ApiToken(std::string path, std::string token, bool created);

 private:
  void reload_if_changed_locked();
  void remember_file_locked();

  std::string path_;
  bool created_ = false;
  std::mutex mu_;
  crypto::Hash hash_{};  // BLAKE2s of the token: compared instead of the token itself
  ino_t inode_ = 0;
  struct timespec mtime_ {};
  std::chrono::steady_clock::time_point next_check_{};
};

// `wgd serve --rotate-token`: a new token in the file (created if missing); returns it.
Result<std::string> rotate_token_file(const std::string& path);

}  // namespace wgd::serve::api
