#include "serve/api/api_token.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "crypto/blake2s.h"
#include "crypto/compare.h"
#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "qr/atomic_file.h"
#include "util/bytes.h"
#include "util/unique_fd.h"

namespace wgd::serve::api {
namespace {

constexpr std::size_t kMinTokenLength = 16;

crypto::Hash hash_of(std::string_view token) {
  return crypto::blake2s256({as_bytes(token)});
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

Result<std::string> read_token(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return fail(fmt::format("{}: {}", path, std::strerror(errno)), errno);
  std::string text(256, '\0');
  const ssize_t n = ::read(fd.get(), text.data(), text.size());
  if (n < 0) return fail(fmt::format("{}: {}", path, std::strerror(errno)), errno);
  text.resize(static_cast<std::size_t>(n));
  std::string token(trim(text));
  if (token.size() < kMinTokenLength || token.find_first_of(" \t\r\n") != std::string::npos)
    return failf("{}: not a token (expected one line of at least {} characters); delete the file "
                 "to have a new one made, or run `wgd serve --rotate-token`",
                 path, kMinTokenLength);
  return token;
}

}  // namespace

std::string ApiToken::generate() {
  std::array<std::uint8_t, 32> bytes;
  std::string s;
  // Drawn again when it would start with '-' or '_' (1 in 32): a token starting with '-' reads
  // as an option to the command-line tools it is passed to (`--token -x...`).
  do {
    crypto::random_bytes(bytes);
    s = crypto::key_to_base64(bytes);
    std::ranges::replace(s, '+', '-');
    std::ranges::replace(s, '/', '_');
    while (!s.empty() && s.back() == '=') s.pop_back();
  } while (s.front() == '-' || s.front() == '_');
  std::ranges::fill(bytes, 0);
  return s;
}

ApiToken::ApiToken(std::string path, std::string token, bool created)
    : path_(std::move(path)), created_(created), hash_(hash_of(token)) {
  std::lock_guard lock(mu_);
  remember_file_locked();
}

Result<std::unique_ptr<ApiToken>> ApiToken::open(std::string path) {
  bool created = false;
  std::string token;
  // O_EXCL: two servers starting at once on one data directory agree on one token.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd) {
    token = generate();
    const std::string line = token + "\n";
    if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
        ::fsync(fd.get()) != 0) {
      const int err = errno;
      ::unlink(path.c_str());
      return fail(fmt::format("{}: cannot write: {}", path, std::strerror(err)), err);
    }
    created = true;
  } else if (errno == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      spdlog::warn("{}: mode {:04o} lets others read the API token; setting 0600", path,
                   st.st_mode & 07777);
      if (::chmod(path.c_str(), 0600) != 0)
        return fail(fmt::format("{}: chmod 0600: {}", path, std::strerror(errno)), errno);
    }
    auto t = read_token(path);
    if (!t) return std::unexpected(t.error());
    token = std::move(*t);
  } else {
    return fail(fmt::format("{}: cannot create: {}", path, std::strerror(errno)), errno);
  }
  return std::make_unique<ApiToken>(std::move(path), std::move(token), created);
}

void ApiToken::remember_file_locked() {
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0) {
    inode_ = st.st_ino;
    mtime_ = st.st_mtim;
  }
  next_check_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
}

void ApiToken::reload_if_changed_locked() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return;
  next_check_ = now + std::chrono::seconds(1);
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return;  // removed: keep the token we have
  if (st.st_ino == inode_ && st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec)
    return;
  auto t = read_token(path_);
  if (!t) {
    spdlog::error("API token file changed but cannot be used, keeping the previous token: {}",
                  t.error().message);
    inode_ = st.st_ino;
    mtime_ = st.st_mtim;
    return;
  }
  hash_ = hash_of(*t);
  inode_ = st.st_ino;
  mtime_ = st.st_mtim;
  spdlog::info("API token changed in {}; the previous token no longer works", path_);
}

bool ApiToken::matches(std::string_view presented) {
  // Hashing first makes the comparison independent of the token's length as well.
  const crypto::Hash given = hash_of(presented);
  std::lock_guard lock(mu_);
  reload_if_changed_locked();
  return crypto::equal_ct(given, hash_);
}

Result<std::string> ApiToken::rotate() {
  std::string token = generate();
  std::lock_guard lock(mu_);
  if (auto ok = qr::write_file_atomically(path_, token + "\n", 0600); !ok)
    return std::unexpected(ok.error().context("API token"));
  hash_ = hash_of(token);
  remember_file_locked();
  return token;
}

Result<std::string> rotate_token_file(const std::string& path) {
  std::string token = ApiToken::generate();
  if (auto ok = qr::write_file_atomically(path, token + "\n", 0600); !ok)
    return std::unexpected(ok.error().context("API token"));
  return token;
}

}  // namespace wgd::serve::api
