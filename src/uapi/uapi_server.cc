#include "uapi/uapi_server.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "uapi/uapi_protocol.h"
#include "uapi/uapi_secret_text.h"
#include "util/unique_fd.h"

namespace wgd::uapi {
namespace {

// Ids in epoll_event.data; clients get ids from kFirstClientId up, never reused, so an event
// can never reach a connection that merely inherited a closed one's fd number.
constexpr std::uint64_t kListenId = 0;
constexpr std::uint64_t kInotifyId = 1;
constexpr std::uint64_t kWakeId = 2;
constexpr std::uint64_t kFirstClientId = 16;

// "get=1" and "set=1" are the only operations; a longer first line is not one of them.
constexpr std::size_t kMaxOperationLine = 32;
constexpr std::size_t kReadChunk = 16 * 1024;

Error errno_error(std::string what, int err) {
  return Error{fmt::format("{}: {}", what, std::strerror(err)), err};
}

// mkdir -p, each created level set to exactly 0755 (the umask would otherwise decide).
Result<void> make_directories(const std::string& dir) {
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      if (::chmod(prefix.c_str(), 0755) != 0) return std::unexpected(errno_error("chmod " + prefix, errno));
    } else if (errno != EEXIST) {
      return std::unexpected(errno_error("mkdir " + prefix, errno));
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return std::unexpected(errno_error("stat " + dir, errno));
  if (!S_ISDIR(st.st_mode)) return fail(dir + " exists and is not a directory", ENOTDIR);
  return {};
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return fail(fmt::format("socket path {} is longer than {} bytes", path, sizeof addr.sun_path - 1),
                ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Whether a process accepts connections on `addr`. A non-blocking connect answers at once:
// ECONNREFUSED means the file is left over from a process that is gone.
Result<bool> someone_listens(const sockaddr_un& addr) {
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe) return std::unexpected(errno_error("socket", errno));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    return true;
  if (errno == EAGAIN || errno == EINPROGRESS) return true;  // alive, backlog full
  if (errno == ECONNREFUSED) return false;
  return std::unexpected(errno_error(fmt::format("connect {}", addr.sun_path), errno));
}

struct ListeningSocket {
  UniqueFd fd;
  dev_t dev = 0;
  ino_t ino = 0;
};

Result<ListeningSocket> bind_socket(const std::string& ifname, const std::string& path) {
  auto addr = unix_address(path);
  if (!addr) return std::unexpected(addr.error());
  ListeningSocket out;
  out.fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!out.fd) return std::unexpected(errno_error("socket", errno));
  // The file bind() creates takes the socket inode's mode minus the umask, so setting 0700 here
  // gives the same result as wireguard-go's umask(077) around bind, without changing the umask
  // of the whole process (which would race with every other thread creating files).
  if (::fchmod(out.fd.get(), 0700) != 0) return std::unexpected(errno_error("fchmod", errno));

  auto try_bind = [&] {
    return ::bind(out.fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) == 0;
  };
  if (!try_bind()) {
    if (errno != EADDRINUSE) return std::unexpected(errno_error("bind " + path, errno));
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode))
      return fail(fmt::format("{} exists and is not a socket; not touching it", path), EEXIST);
    auto alive = someone_listens(*addr);
    if (!alive) return std::unexpected(alive.error());
    if (*alive)
      return fail(fmt::format("interface {} already has a UAPI socket served by another process ({})",
                              ifname, path),
                  EADDRINUSE);
    spdlog::info("uapi {}: replacing stale socket {} (nobody was listening)", ifname, path);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return std::unexpected(errno_error("unlink stale " + path, errno));
    if (!try_bind()) return std::unexpected(errno_error("bind " + path, errno));
  }
  // Belt and braces for kernels where fchmod on a socket does not reach bind().
  if (::chmod(path.c_str(), 0700) != 0) return std::unexpected(errno_error("chmod " + path, errno));
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return std::unexpected(errno_error("lstat " + path, errno));
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  if (::listen(out.fd.get(), SOMAXCONN) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return std::unexpected(errno_error("listen " + path, err));
  }
  return out;
}

struct Connection {
  UniqueFd fd;
  std::string in;            // received, not yet consumed
  std::size_t scanned = 0;   // bytes of `in` known not to hold the end of the pending set=1
  std::string out;           // reply bytes
  std::size_t sent = 0;      // of `out`
  bool peer_closed = false;  // EOF read: serve what is buffered, then close
  bool close_after_reply = false;
  std::uint32_t interest = EPOLLIN;

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    wipe(in);
    wipe(out);
  }
  bool has_output() const { return sent < out.size(); }
};

}  // namespace

struct UapiServer::Impl {
  std::string ifname;
  std::string path;
  UapiHandler& handler;
  UapiServerOptions options;
  ListeningSocket listener;
  UniqueFd epoll;
  UniqueFd inotify;
  UniqueFd wake;  // eventfd: stop() pokes the thread
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> clients;
  std::uint64_t next_client_id = kFirstClientId;
  bool removal_reported = false;
  // Out of descriptors (EMFILE/ENFILE): the pending connection stays queued and the listener
  // stays readable, so it leaves epoll until a client closes or a second has passed.
  bool accept_paused = false;
  std::chrono::steady_clock::time_point accept_paused_at;
  std::thread worker;
  std::atomic<bool> stopping{false};

  Impl(std::string name, std::string socket, UapiHandler& h, UapiServerOptions opts)
      : ifname(std::move(name)), path(std::move(socket)), handler(h), options(std::move(opts)) {}

  Result<void> watch(int fd, std::uint64_t id, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      return std::unexpected(errno_error("epoll_ctl", errno));
    return {};
  }

  void pause_accepting() {
    if (accept_paused) return;
    spdlog::error("uapi {}: accept: {}; not accepting for a while", ifname, std::strerror(errno));
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, listener.fd.get(), nullptr);
    accept_paused = true;
    accept_paused_at = std::chrono::steady_clock::now();
  }

  void resume_accepting() {
    if (!accept_paused) return;
    accept_paused = false;
    if (auto ok = watch(listener.fd.get(), kListenId, EPOLLIN); !ok)
      spdlog::error("uapi {}: {}", ifname, ok.error().message);
  }

  void process(int timeout_ms) {
    if (accept_paused) {
      if (std::chrono::steady_clock::now() - accept_paused_at >= std::chrono::seconds(1)) {
        resume_accepting();
      } else if (timeout_ms < 0 || timeout_ms > 1000) {
        timeout_ms = 1000;
      }
    }
    epoll_event events[32];
    int n = ::epoll_wait(epoll.get(), events, 32, timeout_ms);
    if (n < 0) {
      if (errno != EINTR) spdlog::error("uapi {}: epoll_wait: {}", ifname, std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      std::uint64_t id = events[i].data.u64;
      if (id == kListenId) {
        accept_clients();
      } else if (id == kInotifyId) {
        check_socket_file();
      } else if (id == kWakeId) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake.get(), &count, sizeof count);
      } else if (auto it = clients.find(id); it != clients.end()) {
        serve(id, *it->second, events[i].events);
      }
    }
  }

  void accept_clients() {
    for (;;) {
      UniqueFd fd(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          pause_accepting();
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
          spdlog::error("uapi {}: accept: {}", ifname, std::strerror(errno));
        return;
      }
      if (clients.size() >= options.max_clients) {
        spdlog::warn("uapi {}: {} clients already connected; closing a new connection", ifname,
                     clients.size());
        continue;
      }
      auto conn = std::make_unique<Connection>();
      conn->fd = std::move(fd);
      std::uint64_t id = next_client_id++;
      if (auto ok = watch(conn->fd.get(), id, EPOLLIN); !ok) {
        spdlog::error("uapi {}: {}", ifname, ok.error().message);
        continue;
      }
      clients.emplace(id, std::move(conn));
    }
  }

  // wireguard-go's rule: deleting the socket file (rm, or a newer instance taking the name)
  // means this interface should go. inotify reports the unlink as IN_ATTRIB (link count).
  void check_socket_file() {
    alignas(inotify_event) char buf[4096];
    while (::read(inotify.get(), buf, sizeof buf) > 0) {
    }
    if (removal_reported) return;
    struct stat st;
    bool ours = ::lstat(path.c_str(), &st) == 0 && st.st_dev == listener.dev &&
                st.st_ino == listener.ino;
    if (ours) return;
    removal_reported = true;
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, inotify.get(), nullptr);
    spdlog::info("uapi {}: socket {} was removed or replaced", ifname, path);
    if (options.on_socket_removed) options.on_socket_removed();
  }

  void drop(std::uint64_t id) {
    auto it = clients.find(id);
    if (it == clients.end()) return;
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, it->second->fd.get(), nullptr);
    clients.erase(it);
    resume_accepting();  // a descriptor was just freed
  }

  // Reads what the socket has (bounded, so one client cannot grow `in` without limit).
  bool read_available(Connection& c) {
    char buf[kReadChunk];
    while (c.in.size() <= options.max_request_bytes + kMaxOperationLine) {
      ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) {
        c.peer_closed = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;
    }
    sodium_memzero(buf, sizeof buf);
    return true;
  }

  bool flush(Connection& c) {
    while (c.has_output()) {
      ssize_t n = ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      return false;
    }
    wipe(c.out);
    c.sent = 0;
    return true;
  }

  void consume(Connection& c, std::size_t n) {
    sodium_memzero(c.in.data(), n);
    c.in.erase(0, n);
    c.scanned = 0;
  }

  // Answers with an error and closes: the stream cannot be resynchronised.
  void refuse(Connection& c, int code, std::string_view why) {
    spdlog::warn("uapi {}: refused a request ({}); closing the connection", ifname, why);
    c.out += format_errno_line(code);
    c.close_after_reply = true;
    wipe(c.in);
    c.scanned = 0;
  }

  // Handles the first complete request in `c.in`; false when more input is needed.
  bool take_one_request(Connection& c) {
    std::size_t nl = c.in.find('\n');
    if (nl == std::string::npos) {
      if (c.in.size() <= kMaxOperationLine) return false;
      refuse(c, EPROTO, "first line is not an operation");
      return true;
    }
    std::string_view op(c.in.data(), nl);
    if (op == "get=1") {
      if (c.in.size() < nl + 2) return false;
      if (c.in[nl + 1] != '\n') {
        refuse(c, EPROTO, "get=1 not followed by a blank line");
        return true;
      }
      consume(c, nl + 2);
      std::string reply = render_get(handler.get());
      c.out += reply;
      wipe(reply);
      return true;
    }
    if (op == "set=1") return take_set(c, nl);
    refuse(c, EPROTO, "unknown operation");
    return true;
  }

  bool take_set(Connection& c, std::size_t op_end) {
    // The body's last line ends with '\n' and the blank line adds one more; an empty body is
    // just "set=1\n\n", so the search starts at the operation line's own newline.
    std::size_t end = c.in.find("\n\n", std::max(op_end, c.scanned));
    if (end == std::string::npos) {
      if (c.in.size() > options.max_request_bytes) {
        refuse(c, EMSGSIZE, "set=1 request larger than the limit");
        return true;
      }
      c.scanned = c.in.size() - 1;
      return false;
    }
    if (end + 2 > options.max_request_bytes) {
      refuse(c, EMSGSIZE, "set=1 request larger than the limit");
      return true;
    }
    auto change = parse_set(std::string_view(c.in).substr(op_end + 1, end - op_end));
    consume(c, end + 2);
    if (!change) {
      spdlog::warn("uapi {}: set=1 refused: {}", ifname, change.error().message);
      c.out += format_errno_line(change.error().code);
      // A line without '=' means the client does not speak the protocol: stop listening to it.
      if (change.error().code == EPROTO) {
        c.close_after_reply = true;
        wipe(c.in);
      }
      return true;
    }
    Result<void> applied = handler.set(std::move(*change));
    if (!applied) {
      int code = applied.error().code > 0 ? applied.error().code : EIO;
      spdlog::warn("uapi {}: set=1 failed: {}", ifname, applied.error().message);
      c.out += format_errno_line(code);
    } else {
      spdlog::debug("uapi {}: set=1 applied", ifname);
      c.out += format_errno_line(0);
    }
    return true;
  }

  void serve(std::uint64_t id, Connection& c, std::uint32_t events) {
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      if (!c.has_output() && !read_available(c)) return drop(id);
    }
    // One request at a time: the next is read only after the previous reply went out, so a
    // client that sends without reading stalls only itself.
    for (;;) {
      if (c.has_output()) {
        if (!flush(c)) return drop(id);
        if (c.has_output()) break;
      }
      if (c.close_after_reply) return drop(id);
      if (!take_one_request(c)) break;
    }
    if (c.peer_closed && !c.has_output()) return drop(id);
    std::uint32_t want = c.has_output() ? EPOLLOUT : EPOLLIN;
    if (want != c.interest) {
      epoll_event ev{};
      ev.events = want;
      ev.data.u64 = id;
      if (::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) != 0) return drop(id);
      c.interest = want;
    }
  }
};

UapiServer::UapiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<UapiServer>> UapiServer::listen(std::string ifname, UapiHandler& handler,
                                                       std::string socket_dir) {
  UapiServerOptions options;
  options.socket_dir = std::move(socket_dir);
  return listen(std::move(ifname), handler, std::move(options));
}

Result<std::unique_ptr<UapiServer>> UapiServer::listen(std::string ifname, UapiHandler& handler,
                                                       UapiServerOptions options) {
  if (auto ok = validate_interface_name(ifname); !ok) return std::unexpected(ok.error());
  if (auto ok = make_directories(options.socket_dir); !ok) return std::unexpected(ok.error());
  std::string path = uapi::socket_path(ifname, options.socket_dir);
  auto impl = std::make_unique<Impl>(ifname, path, handler, std::move(options));

  impl->epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!impl->epoll) return std::unexpected(errno_error("epoll_create1", errno));
  impl->wake.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!impl->wake) return std::unexpected(errno_error("eventfd", errno));
  impl->inotify.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!impl->inotify) return std::unexpected(errno_error("inotify_init1", errno));

  auto sock = bind_socket(ifname, path);
  if (!sock) return std::unexpected(sock.error());
  impl->listener = std::move(*sock);
  // From here on the socket file exists: the server owns it, and its destructor removes it.
  auto server = std::unique_ptr<UapiServer>(new UapiServer(std::move(impl)));
  Impl& i = *server->impl_;
  if (::inotify_add_watch(i.inotify.get(), path.c_str(),
                          IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW) < 0)
    return std::unexpected(errno_error("inotify_add_watch " + path, errno));
  for (auto [fd, id] : {std::pair{i.listener.fd.get(), kListenId},
                        std::pair{i.inotify.get(), kInotifyId}, std::pair{i.wake.get(), kWakeId}}) {
    if (auto ok = i.watch(fd, id, EPOLLIN); !ok) return std::unexpected(ok.error());
  }
  spdlog::debug("uapi {}: listening on {}", i.ifname, path);
  return server;
}

UapiServer::~UapiServer() {
  stop();
  Impl& i = *impl_;
  i.clients.clear();
  // Remove the file only if it is still the one we bound: after a takeover it is someone else's.
  struct stat st;
  if (::lstat(i.path.c_str(), &st) == 0 && st.st_dev == i.listener.dev &&
      st.st_ino == i.listener.ino)
    ::unlink(i.path.c_str());
}

const std::string& UapiServer::socket_path() const { return impl_->path; }

int UapiServer::fd() const { return impl_->epoll.get(); }

void UapiServer::handle_ready() { impl_->process(0); }

Result<void> UapiServer::start() {
  Impl& i = *impl_;
  if (i.worker.joinable()) return fail("UAPI server thread already started", EBUSY);
  i.stopping.store(false);
  i.worker = std::thread([&i] {
    while (!i.stopping.load(std::memory_order_acquire)) i.process(-1);
  });
  return {};
}

void UapiServer::stop() {
  Impl& i = *impl_;
  if (!i.worker.joinable()) return;
  i.stopping.store(true, std::memory_order_release);
  std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(i.wake.get(), &one, sizeof one);
  i.worker.join();
}

}  // namespace wgd::uapi
