// UAPI requests and replies carry private and preshared keys as hex text; buffers that held
// them are wiped before they are released, as Secret does for key bytes.
#pragma once

#include <sodium.h>

#include <string>

namespace wgd::uapi {

inline void wipe(std::string& text) {
  sodium_memzero(text.data(), text.size());
  text.clear();
}

// Wipes a string when it goes out of scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& text) : text_(text) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { wipe(text_); }

 private:
  std::string& text_;
};

}  // namespace wgd::uapi
