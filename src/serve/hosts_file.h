// A block of lines that wgd owns inside a hosts file (/etc/hosts by default), so the server can
// reach peers by name ("ssh alice" or "ssh alice.wg"), as factory-wireguard-server (seed 000)
// does for its devices. Everything outside the block is never touched: the block is found by
// its two marker lines, replaced as a whole, and the file is swapped atomically.
//
//   127.0.0.1 localhost                     <- the administrator's lines, byte for byte
//   # BEGIN wgd (interface wg0)
//   10.8.0.2 alice alice.wg
//   fd42:1:2:3::2 alice alice.wg
//   # END wgd (interface wg0)
//
// The markers are configurable so that fleet sync (issue 6) can keep Foundries' own block
// ("## Factory(<name>) VPN Lookups" ... "## END Factory(<name>) VPN Lookups") current.
#pragma once

#include <filesystem>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve {

// The two lines that open and close wgd's block.
struct HostsBlockMarkers {
  std::string begin;
  std::string end;

  // "# BEGIN wgd (interface wg0)" / "# END wgd (interface wg0)".
  static HostsBlockMarkers for_interface(std::string_view interface);
  // "## Factory(NAME) VPN Lookups" / "## END Factory(NAME) VPN Lookups", the markers
  // factory-wireguard.py writes, so a server switching from it takes its block over.
  static HostsBlockMarkers for_factory(std::string_view factory);
};

// One peer as the hosts file sees it: a name and its tunnel addresses.
struct HostsPeer {
  std::string name;
  std::vector<IpAddress> addresses;
};

// RFC 1123 host name: dot-separated labels of 1-63 letters, digits and hyphens, neither
// starting nor ending with a hyphen, 253 characters at most, and not an IP address.
bool is_valid_hostname(std::string_view name);

struct HostsLines {
  std::vector<std::string> lines;    // "10.8.0.2 alice alice.wg", sorted by name, v4 before v6
  std::vector<std::string> skipped;  // peer names that are not valid host names
};

// The block's contents for `peers`: one line per address, "ADDR NAME NAME.DOMAIN" (or
// "ADDR NAME" when `domain` is empty). Peers without an address give no line.
HostsLines render_hosts_lines(std::span<const HostsPeer> peers, std::string_view domain);

// `content` with the block between `markers` replaced by `lines`: appended at the end when the
// file has no block yet, removed (markers included) when `lines` is empty. Bytes outside the
// block are kept as they are, a missing final newline included. Fails, changing nothing, when
// the markers are out of order, unpaired or repeated: then the block's extent is unknown and
// guessing could delete the administrator's lines.
Result<std::string> replace_hosts_block(std::string_view content, const HostsBlockMarkers& markers,
                                        std::span<const std::string> lines);

enum class HostsWriteOutcome {
  kUnchanged,         // the file already said exactly this: nothing written
  kReplaced,          // new file written beside it, fsynced, renamed over it
  kRewrittenInPlace,  // the file could not be replaced (a bind mount, as a container's
                      // /etc/hosts; a directory we may not write; an owner we cannot give a
                      // new file), so it was overwritten in place: not atomic for readers
};

// Puts `lines` into the block of the hosts file at `path` (created 0644 when missing; a
// symbolic link is followed and its target changed). The new file keeps the old one's mode
// and owner. `note` receives why an in-place rewrite was needed, if it was.
Result<HostsWriteOutcome> write_hosts_block(const std::filesystem::path& path,
                                            const HostsBlockMarkers& markers,
                                            std::span<const std::string> lines,
                                            std::string* note = nullptr);

// Whether wgd may keep a block in the hosts file at `path`. The setting "none" (or an empty
// one) turns the feature off; a path that is not writable turns it off too, because the
// default /etc/hosts must not stop an unprivileged `wgd serve` from starting. `reason` says
// why in words for the start-up log.
struct HostsFileDecision {
  bool enabled = false;
  std::string reason;
};
HostsFileDecision decide_hosts_file(std::string_view path_setting);

// The hosts file as `wgd serve` keeps it: the path, the markers and the domain, with the
// warnings about names that cannot be host names given once per name, not on every update.
// Safe to call from several threads (updates are serialised).
class HostsFile {
 public:
  // Fails when `domain` is not empty and not a valid host name.
  static Result<HostsFile> create(std::filesystem::path path, HostsBlockMarkers markers,
                                  std::string domain);

  HostsFile(HostsFile&& other) noexcept;
  HostsFile& operator=(HostsFile&&) = delete;
  HostsFile(const HostsFile&) = delete;
  HostsFile& operator=(const HostsFile&) = delete;

  // Makes the block list exactly `peers` (the active ones); logs one line when it changed.
  Result<HostsWriteOutcome> update(std::span<const HostsPeer> peers);

  const std::filesystem::path& path() const { return path_; }
  const HostsBlockMarkers& markers() const { return markers_; }

 private:
  HostsFile(std::filesystem::path path, HostsBlockMarkers markers, std::string domain)
      : path_(std::move(path)), markers_(std::move(markers)), domain_(std::move(domain)) {}

  std::filesystem::path path_;
  HostsBlockMarkers markers_;
  std::string domain_;
  std::mutex mutex_;
  std::set<std::string> warned_;      // names already reported as invalid
  bool warned_in_place_ = false;      // the in-place fallback is reported once
};

}  // namespace wgd::serve
