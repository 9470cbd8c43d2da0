// Shared by the store tests and the worker process they start.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "serve/store/address_allocator.h"
#include "serve/store/peer_spec.h"

namespace wgd::serve::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/wgd-store-test.XXXXXX";
    if (!::mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The server of the tests: 10.8.0.1/24 and fd00:8::1/64 (private ranges; nothing is routed).
inline AddressPool test_pool(std::string_view v4 = "10.8.0.1/24",
                             std::string_view v6 = "fd00:8::1/64") {
  AddressPool p;
  if (!v4.empty()) p.v4 = TunnelSubnet::from_interface_address(*IpPrefix::parse(v4));
  if (!v6.empty()) p.v6 = TunnelSubnet::from_interface_address(*IpPrefix::parse(v6));
  return p;
}

inline NewPeer named(std::string name) {
  NewPeer p;
  p.name = std::move(name);
  return p;
}

inline unsigned file_mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0xffff'ffff;
  return st.st_mode & 07777;
}

}  // namespace wgd::serve::testing
