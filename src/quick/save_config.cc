#include "quick/save_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "uapi/showconf.h"
#include "util/unique_fd.h"

namespace wgd::quick {

std::string render_saved_config(const uapi::WgQuickInterface& file, const SavedInterfaceState& now,
                                const wg::DeviceStatus& status) {
  std::string head = "[Interface]\n";
  for (const auto& a : now.addresses) head += "Address = " + a.to_string() + "\n";
  for (const auto& d : now.dns) head += "DNS = " + d + "\n";
  if (file.mtu && now.link_mtu) head += fmt::format("MTU = {}\n", *now.link_mtu);
  if (file.table) head += "Table = " + file.table->to_string() + "\n";
  if (file.save_config) head += "SaveConfig = true\n";
  for (const auto& h : file.pre_up) head += "PreUp = " + h + "\n";
  for (const auto& h : file.post_up) head += "PostUp = " + h + "\n";
  for (const auto& h : file.pre_down) head += "PreDown = " + h + "\n";
  for (const auto& h : file.post_down) head += "PostDown = " + h + "\n";

  // current_config="$(wg showconf IF)" drops the trailing newlines; `echo` adds one back.
  std::string current = uapi::render_showconf(status);
  while (!current.empty() && current.back() == '\n') current.pop_back();
  const std::string_view marker = "[Interface]\n";
  if (auto at = current.find(marker); at != std::string::npos)
    current.replace(at, marker.size(), head);
  return current + "\n";
}

Result<void> write_file_atomically(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return failf("Could not write configuration file `{}': {}", tmp, std::strerror(errno));
  auto abandon = [&](std::string_view what) {
    int e = errno;
    ::unlink(tmp.c_str());
    return failf("Could not write configuration file `{}': {}: {}", tmp, what, std::strerror(e));
  };
  // An existing .tmp keeps its mode through O_TRUNC; the key must not be readable by others.
  if (::fchmod(fd.get(), 0600) != 0) return abandon("chmod");
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return abandon("fsync");
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return failf("Could not move configuration file to `{}': {}", path, std::strerror(e));
  }
  return {};
}

}  // namespace wgd::quick
