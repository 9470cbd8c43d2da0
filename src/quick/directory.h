// An open directory stream that closes itself.
#pragma once

#include <dirent.h>

#include <memory>
#include <string>

namespace wgd::quick {

struct CloseDirectory {
  void operator()(DIR* d) const { ::closedir(d); }
};
using Directory = std::unique_ptr<DIR, CloseDirectory>;

// Empty (false) when the directory cannot be opened; errno says why.
inline Directory open_directory(const std::string& path) {
  return Directory(::opendir(path.c_str()));
}

}  // namespace wgd::quick
