// Test helpers for src/qr: temporary directories, files, and running the reference tools.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wgd::qr::test {

// A fresh directory under the test temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view bytes);

// The program's full path if it is on PATH.
std::optional<std::filesystem::path> find_program(std::string_view name);

struct ProcessResult {
  int exit_code = -1;  // -1 if it did not start or was killed by a signal
  std::string out;     // everything written to stdout, byte for byte
  std::string err;
};

// Runs argv (argv[0] looked up on PATH) with stdin from /dev/null, no shell involved.
ProcessResult run_program(const std::vector<std::string>& argv);

// A wg-quick client configuration as wgd and linuxserver/wireguard write them (the keys are
// made up for the test).
std::string sample_client_config();

}  // namespace wgd::qr::test
