#include "mesh/mesh_test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/x25519.h"

namespace wgd::mesh::test {

const std::string_view kSeedInventory = R"(# The servers of seed 002, joined in one mesh.
[mesh]
name = example
ipv4 = 10.195.171.0/24
ipv6 = fdc1:d89e:b128:6a04::/64
listen_port = 55867
domain = example.net

[host dolores]
endpoint = 203.0.113.54
comment = Hetzner, San Francisco
ipv4 = 10.195.171.142
ipv6 = fdc1:d89e:b128:6a04::7de4

[host maeve]
endpoint = 198.51.100.7
comment = Rackspace, London

[host bernard]
endpoint = 192.0.2.14:55867
comment = Rollnet, Phoenix

; dynamic address at home
[host charlotte]
comment = Home, Frankfurt
subnets = 172.27.88.0/24, fdc1:d89e:b128:13a6::/64
)";

Inventory must_parse(std::string_view text, std::string_view file_name) {
  auto inv = parse_inventory(text, file_name);
  if (!inv) {
    ADD_FAILURE() << "parse_inventory: " << inv.error().message;
    return {};
  }
  return std::move(*inv);
}

MeshRandom ScriptedRandom::random() const {
  auto counter = calls;
  MeshRandom r;
  r.private_key = [counter] {
    ++*counter;
    crypto::PrivateKey key;
    // Clamping keeps bytes 1-30 as they are (it only touches bits of bytes 0 and 31).
    key.data()[1] = static_cast<std::uint8_t>(*counter);
    key.data()[2] = static_cast<std::uint8_t>(*counter >> 8);
    key.data()[3] = 0x5a;
    crypto::x25519_clamp(key);
    return key;
  };
  r.listen_port = [counter] { return static_cast<std::uint16_t>(50000 + ++*counter); };
  r.ula_prefix = [counter] {
    ++*counter;
    return *IpPrefix::parse(fmt::format("fd00:{:x}::/64", *counter));
  };
  return r;
}

MeshRandom no_random() {
  MeshRandom r;
  r.private_key = [] {
    ADD_FAILURE() << "a new private key was drawn";
    return crypto::x25519_generate();
  };
  r.listen_port = [] {
    ADD_FAILURE() << "a new listen port was drawn";
    return std::uint16_t{50000};
  };
  r.ula_prefix = [] {
    ADD_FAILURE() << "a new ULA prefix was drawn";
    return *IpPrefix::parse("fd00::/64");
  };
  return r;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/wgd-mesh-test.XXXXXX";
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) ADD_FAILURE() << "writing " << path;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "reading " << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned file_mode(const std::filesystem::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << "stat " << path;
    return 0;
  }
  return st.st_mode & 07777;
}

}  // namespace wgd::mesh::test
