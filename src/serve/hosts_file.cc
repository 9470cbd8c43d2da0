#include "serve/hosts_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/file_write.h"
#include "util/unique_fd.h"

namespace wgd::serve {
namespace {

constexpr mode_t kNewFileMode = 0644;  // a hosts file is world-readable by nature

std::unexpected<Error> fail_errno(const std::filesystem::path& path, std::string_view what,
                                  int err) {
  return std::unexpected(
      Error{fmt::format("hosts file {}: {}: {}", path.string(), what, std::strerror(err)), err});
}

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// A line of the file without its terminator (and without a '\r' before it), for comparing
// with a marker.
std::string_view line_text(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  return line;
}

// The file split into lines, each with its '\n' (the last one may lack it).
std::vector<std::string_view> split_lines(std::string_view content) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t nl = content.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? content.size() : nl + 1;
    lines.push_back(content.substr(start, end - start));
    start = end;
  }
  return lines;
}

std::string render_block(const HostsBlockMarkers& markers, std::span<const std::string> lines,
                         bool final_newline) {
  std::string out = markers.begin + "\n";
  for (const auto& l : lines) out += l + "\n";
  out += markers.end;
  if (final_newline) out += "\n";
  return out;
}

Result<std::string> read_file(const std::filesystem::path& path, bool& exists, struct stat& st) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      exists = false;
      return std::string();
    }
    return fail_errno(path, "open", errno);
  }
  exists = true;
  if (::fstat(fd.get(), &st) != 0) return fail_errno(path, "fstat", errno);
  if (!S_ISREG(st.st_mode)) return fail_errno(path, "not a regular file", EINVAL);
  std::string content;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(path, "read", errno);
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
  }
  return content;
}

// Why an atomic replacement is impossible: the reason for an in-place rewrite, or an error
// that no fallback helps with.
struct ReplaceFailure {
  bool fall_back = false;
  Error error;
};

// Errors that mean "this path cannot be replaced by another file", not "the disk is broken".
bool calls_for_fallback(int err) {
  return err == EBUSY || err == EXDEV || err == EACCES || err == EPERM || err == EROFS;
}

// Temporary file beside `path` with the old file's mode and owner, fsynced, renamed over it,
// then the directory fsynced so a crash cannot bring the old file back.
std::optional<ReplaceFailure> replace_atomically(const std::filesystem::path& path,
                                                 std::string_view content, bool exists,
                                                 const struct stat& st) {
  auto failure = [&](std::string_view what, int err) {
    return ReplaceFailure{calls_for_fallback(err), fail_errno(path, what, err).error()};
  };
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  std::string temp = (dir / ("." + path.filename().string() + ".wgd-XXXXXX")).string();
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd) return failure("creating a temporary file beside it", errno);
  util::TempFileGuard guard(temp);

  const mode_t mode = exists ? (st.st_mode & 07777) : kNewFileMode;
  if (exists && ::fchown(fd.get(), st.st_uid, st.st_gid) != 0)
    return failure("giving the new file the old one's owner", errno);
  if (::fchmod(fd.get(), mode) != 0) return failure("fchmod", errno);
  if (int err = util::write_all(fd.get(), content))
    return ReplaceFailure{false, fail_errno(path, "write", err).error()};
  if (::fsync(fd.get()) != 0) return failure("fsync", errno);
  if (::close(fd.release()) != 0) return failure("close", errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) return failure("rename over it", errno);
  guard.commit();

  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd) ::fsync(dir_fd.get());  // best effort: the new content is already in place
  return std::nullopt;
}

// For a file that cannot be replaced (a bind mount): the same inode, new bytes, cut to size.
Result<void> rewrite_in_place(const std::filesystem::path& path, std::string_view content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno(path, "open for writing", errno);
  if (int err = util::write_all(fd.get(), content)) return fail_errno(path, "write", err);
  if (::ftruncate(fd.get(), static_cast<off_t>(content.size())) != 0)
    return fail_errno(path, "ftruncate", errno);
  if (::fsync(fd.get()) != 0) return fail_errno(path, "fsync", errno);
  return {};
}

// Serialises every read-modify-write of a hosts file in this process: the interface block and
// a fleet-sync block may live in the same file, and two writers interleaving would each put
// back the other's old block.
std::mutex& hosts_write_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

HostsBlockMarkers HostsBlockMarkers::for_interface(std::string_view interface) {
  return {fmt::format("# BEGIN wgd (interface {})", interface),
          fmt::format("# END wgd (interface {})", interface)};
}

HostsBlockMarkers HostsBlockMarkers::for_factory(std::string_view factory) {
  return {fmt::format("## Factory({}) VPN Lookups", factory),
          fmt::format("## END Factory({}) VPN Lookups", factory)};
}

bool is_valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (IpAddress::parse(name)) return false;  // "10.0.0.1" as a name would shadow an address
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = name.find('.', start);
    std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

HostsLines render_hosts_lines(std::span<const HostsPeer> peers, std::string_view domain) {
  std::vector<const HostsPeer*> order;
  HostsLines out;
  for (const auto& p : peers) {
    if (p.addresses.empty()) continue;
    if (!is_valid_hostname(p.name)) {
      out.skipped.push_back(p.name);
      continue;
    }
    order.push_back(&p);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const HostsPeer* a, const HostsPeer* b) { return a->name < b->name; });
  for (const HostsPeer* p : order) {
    std::vector<IpAddress> addrs = p->addresses;
    // v4 first, then v6, each ascending: the same set always gives the same bytes.
    std::sort(addrs.begin(), addrs.end());
    for (const auto& a : addrs) {
      if (domain.empty())
        out.lines.push_back(fmt::format("{} {}", a.to_string(), p->name));
      else
        out.lines.push_back(fmt::format("{} {} {}.{}", a.to_string(), p->name, p->name, domain));
    }
  }
  return out;
}

Result<std::string> replace_hosts_block(std::string_view content, const HostsBlockMarkers& markers,
                                        std::span<const std::string> lines) {
  const auto all = split_lines(content);
  std::optional<std::size_t> begin, end;
  for (std::size_t i = 0; i < all.size(); ++i) {
    std::string_view text = line_text(all[i]);
    if (text == markers.begin) {
      if (begin) return failf("'{}' appears twice (lines {} and {})", markers.begin, *begin + 1, i + 1);
      begin = i;
    } else if (text == markers.end) {
      if (end) return failf("'{}' appears twice (lines {} and {})", markers.end, *end + 1, i + 1);
      if (!begin) return failf("'{}' (line {}) comes before '{}'", markers.end, i + 1, markers.begin);
      end = i;
    }
  }
  if (begin && !end) return failf("'{}' (line {}) has no '{}' after it", markers.begin, *begin + 1, markers.end);

  std::string out;
  if (!begin) {
    if (lines.empty()) return std::string(content);
    out = std::string(content);
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += render_block(markers, lines, true);
    return out;
  }
  for (std::size_t i = 0; i < *begin; ++i) out += all[i];
  if (!lines.empty()) {
    const bool final_newline = all[*end].ends_with('\n');
    out += render_block(markers, lines, final_newline);
  }
  for (std::size_t i = *end + 1; i < all.size(); ++i) out += all[i];
  return out;
}

Result<HostsWriteOutcome> write_hosts_block(const std::filesystem::path& given,
                                            const HostsBlockMarkers& markers,
                                            std::span<const std::string> lines, std::string* note) {
  std::lock_guard lock(hosts_write_mutex());
  // Follow a symbolic link: renaming over the link would replace it with a plain file.
  std::error_code ec;
  std::filesystem::path path = std::filesystem::canonical(given, ec);
  if (ec) path = given;

  bool exists = false;
  struct stat st {};
  auto content = read_file(path, exists, st);
  if (!content) return std::unexpected(content.error());
  auto next = replace_hosts_block(*content, markers, lines);
  if (!next) return std::unexpected(next.error().context(fmt::format("hosts file {}", path.string())));
  if (exists && *next == *content) return HostsWriteOutcome::kUnchanged;
  if (!exists && lines.empty()) return HostsWriteOutcome::kUnchanged;

  auto failure = replace_atomically(path, *next, exists, st);
  if (!failure) return HostsWriteOutcome::kReplaced;
  if (!failure->fall_back || !exists) return std::unexpected(failure->error);
  if (note) *note = failure->error.message;
  if (auto r = rewrite_in_place(path, *next); !r) return std::unexpected(r.error());
  return HostsWriteOutcome::kRewrittenInPlace;
}

HostsFileDecision decide_hosts_file(std::string_view setting) {
  if (setting.empty() || setting == "none")
    return {false, "hosts file: off (WGD_HOSTS_FILE=none)"};
  std::filesystem::path path{std::string(setting)};
  std::error_code ec;
  std::filesystem::path target = std::filesystem::canonical(path, ec);
  if (ec) target = path;
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      return {false, fmt::format("hosts file: off ({} is not a regular file)", path.string())};
    // AT_EACCESS: the effective user, which is the one that will write; also reports EROFS.
    if (::faccessat(AT_FDCWD, target.c_str(), W_OK, AT_EACCESS) != 0)
      return {false, fmt::format("hosts file: off ({} is not writable: {}; set WGD_HOSTS_FILE to "
                                 "a writable path or to none)",
                                 path.string(), std::strerror(errno))};
    return {true, fmt::format("hosts file: {} (block of the active peers' names)", path.string())};
  }
  if (errno != ENOENT)
    return {false, fmt::format("hosts file: off ({}: {})", path.string(), std::strerror(errno))};
  const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
    return {false, fmt::format("hosts file: off ({} does not exist and {} is not writable: {})",
                               path.string(), dir.string(), std::strerror(errno))};
  return {true, fmt::format("hosts file: {} (will be created)", path.string())};
}

Result<HostsFile> HostsFile::create(std::filesystem::path path, HostsBlockMarkers markers,
                                    std::string domain) {
  if (!domain.empty() && !is_valid_hostname(domain))
    return failf("hosts domain '{}' is not a valid host name (letters, digits, '-' and '.')",
                 domain);
  if (markers.begin.empty() || markers.end.empty() || markers.begin == markers.end)
    return failf("hosts file markers must be two different, non-empty lines");
  return HostsFile(std::move(path), std::move(markers), std::move(domain));
}

HostsFile::HostsFile(HostsFile&& o) noexcept
    : path_(std::move(o.path_)),
      markers_(std::move(o.markers_)),
      domain_(std::move(o.domain_)),
      warned_(std::move(o.warned_)),
      warned_in_place_(o.warned_in_place_) {}

Result<HostsWriteOutcome> HostsFile::update(std::span<const HostsPeer> peers) {
  std::lock_guard lock(mutex_);
  HostsLines rendered = render_hosts_lines(peers, domain_);
  for (const auto& name : rendered.skipped) {
    if (warned_.insert(name).second)
      spdlog::warn("hosts file {}: peer '{}' left out: not a valid host name (use letters, "
                   "digits and '-')",
                   path_.string(), name);
  }
  std::string note;
  auto outcome = write_hosts_block(path_, markers_, rendered.lines, &note);
  if (!outcome) return outcome;
  switch (*outcome) {
    case HostsWriteOutcome::kUnchanged:
      break;
    case HostsWriteOutcome::kReplaced:
      spdlog::info("hosts file {}: block '{}' now has {} line(s)", path_.string(), markers_.begin,
                   rendered.lines.size());
      break;
    case HostsWriteOutcome::kRewrittenInPlace:
      if (!warned_in_place_) {
        spdlog::warn("hosts file {}: cannot replace it atomically ({}); rewriting it in place, "
                     "as for a container's bind-mounted /etc/hosts",
                     path_.string(), note);
        warned_in_place_ = true;
      }
      spdlog::info("hosts file {}: block '{}' now has {} line(s) (rewritten in place)",
                   path_.string(), markers_.begin, rendered.lines.size());
      break;
  }
  return outcome;
}

}  // namespace wgd::serve
