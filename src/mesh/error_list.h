// Every problem of an inventory at once: a sysadmin fixing a file wants the whole list, not one
// error per run. Lines read "FILE:LINE: what", joined by newlines into one Error.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace wgd::mesh {

class ErrorList {
 public:
  explicit ErrorList(std::string file_name) : file_name_(std::move(file_name)) {}

  template <class... Args>
  void add(int line, fmt::format_string<Args...> f, Args&&... args) {
    messages_.push_back(fmt::format("{}:{}: {}", file_name_, line,
                                    fmt::format(f, std::forward<Args>(args)...)));
  }
  // A message that already carries its location (or needs none).
  void add_raw(std::string message) { messages_.push_back(std::move(message)); }

  bool empty() const { return messages_.empty(); }
  const std::string& file_name() const { return file_name_; }

  // One Error whose message lists every problem, one per line.
  Error to_error() const {
    std::string joined;
    for (const auto& m : messages_) joined += (joined.empty() ? "" : "\n") + m;
    return Error{std::move(joined), 0};
  }

 private:
  std::string file_name_;
  std::vector<std::string> messages_;
};

}  // namespace wgd::mesh
