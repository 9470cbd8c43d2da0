// Interface: creation, the control loop (UAPI, timers, signals, link deletion) and the UAPI
// handler. The packet loops are in interface_tx.cc and interface_rx.cc.
#include "tunnel/interface.h"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstring>

#include "crypto/key_codec.h"
#include "tunnel/batch_sink.h"
#include "tunnel/system_clock.h"

namespace wgd::tunnel {
namespace {

Result<UniqueFd> make_eventfd() {
  UniqueFd fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!fd) return fail(std::string("eventfd: ") + std::strerror(errno), errno);
  return fd;
}

void signal_eventfd(int fd) {
  const std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);
}

void drain(int fd) {
  std::uint64_t v;
  while (::read(fd, &v, sizeof v) > 0) {
  }
}

}  // namespace

Interface::Interface(Private, InterfaceOptions options, TunDevice tun)
    : options_(std::move(options)),
      tun_(std::move(tun)),
      device_(rng_, wg::DeviceOptions{options_.timers, options_.mtu}) {}

Interface::~Interface() {
  request_stop();
  handshakes_.close();
  stop_receivers();
  if (tx_thread_.joinable()) tx_thread_.join();
  if (handshake_thread_.joinable()) handshake_thread_.join();
}

Result<std::unique_ptr<Interface>> Interface::create(InterfaceOptions options) {
  auto tun = TunDevice::create(options.name, options.mtu, options.offloads);
  if (!tun) return std::unexpected(tun.error());
  auto itf = std::make_unique<Interface>(Private{}, std::move(options), std::move(*tun));
  auto bind = UdpBind::open(0, 0, options.offloads);
  if (!bind) return std::unexpected(bind.error().context("open UDP sockets"));
  itf->bind_.store(std::shared_ptr<UdpBind>(std::move(*bind)));
  auto stop = make_eventfd();
  auto wake = make_eventfd();
  if (!stop || !wake) return std::unexpected(stop ? wake.error() : stop.error());
  itf->stop_fd_ = std::move(*stop);
  itf->wake_fd_ = std::move(*wake);

  uapi::UapiServerOptions uo;
  uo.socket_dir = itf->options_.uapi_socket_dir;
  Interface* raw = itf.get();
  // Removing the socket is how wireguard-go is told to go away; so are we.
  uo.on_socket_removed = [raw] {
    spdlog::info("{}: UAPI socket removed, shutting down", raw->name());
    raw->request_stop();
  };
  auto server = uapi::UapiServer::listen(itf->name(), *itf, std::move(uo));
  if (!server) return std::unexpected(server.error());
  itf->uapi_ = std::move(*server);

  auto monitor = net::LinkMonitor::watch(itf->tun_.ifindex());
  if (!monitor) return std::unexpected(monitor.error().context("watch interface"));
  itf->link_monitor_ = std::make_unique<net::LinkMonitor>(std::move(*monitor));
  return itf;
}

std::uint16_t Interface::listen_port() const {
  auto b = bind_.load();
  return b ? b->port() : 0;
}

void Interface::request_stop() {
  if (stopping_.exchange(true)) return;
  if (stop_fd_) signal_eventfd(stop_fd_.get());
}

void Interface::fail_data_plane(const Error& e) {
  // Once the interface is deleted (`ip link del`), the TUN descriptor reports EBADFD/EIO: that
  // is the normal way to be told to go, not a failure (wireguard-go exits 0 then, too).
  if (e.code == EBADFD || e.code == EIO || e.code == ENODEV) {
    if (!stopping_) spdlog::info("{}: interface deleted, shutting down", name());
    request_stop();
    return;
  }
  {
    std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = e;
  }
  request_stop();
}

void Interface::flush(BatchSink& sink) {
  if (sink.empty()) return;
  auto bind = bind_.load();
  sink.flush(bind.get(), tun_);
}

void Interface::wake_control_if_needed(wg::Nanos deadline) {
  if (deadline < control_wakes_at_.load(std::memory_order_relaxed)) signal_eventfd(wake_fd_.get());
}

void Interface::refresh_mtu() {
  auto mtu = tun_.mtu();
  if (!mtu) return;
  device_mtu_.store(*mtu, std::memory_order_relaxed);
  std::lock_guard lock(device_mutex_);
  if (device_.mtu() != *mtu) device_.set_mtu(*mtu);
}

void Interface::start_receivers(const std::shared_ptr<UdpBind>& bind) {
  rx_bind_ = bind;
  for (auto f : {UdpBind::kV4, UdpBind::kV6})
    if (bind->has(f)) rx_threads_.emplace_back([this, bind, f] { rx_loop(bind, f); });
}

void Interface::stop_receivers() {
  if (rx_bind_) rx_bind_->shutdown();
  for (auto& t : rx_threads_) t.join();
  rx_threads_.clear();
  rx_bind_.reset();
}

void Interface::swap_bind(std::shared_ptr<UdpBind> fresh) {
  stop_receivers();
  bind_.store(fresh);
  if (!stopping_) start_receivers(fresh);
}

Result<void> Interface::run() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  // Blocked here, so every thread started below inherits the mask and only the signalfd sees them.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a UAPI client that hangs up must not kill us

  refresh_mtu();
  start_receivers(bind_.load());
  tx_thread_ = std::thread([this] { tx_loop(); });
  handshake_thread_ = std::thread([this] { handshake_loop(); });
  {
    // Scoped: a copy of the pointer kept for the life of run() would keep these sockets bound
    // after a listen_port change replaces them.
    const auto bind = bind_.load();
    spdlog::info("{}: up, listening on UDP port {}, MTU {}; offloads: TUN {:#x}, UDP GSO {}, GRO {}",
                 name(), listen_port(), device_mtu_.load(), tun_.offloads(), bind->gso(),
                 bind->gro(UdpBind::kV4) || bind->gro(UdpBind::kV6));
  }

  auto result = control_loop();
  const std::uint16_t port = listen_port();
  request_stop();
  handshakes_.close();
  stop_receivers();
  if (tx_thread_.joinable()) tx_thread_.join();
  if (handshake_thread_.joinable()) handshake_thread_.join();
  {
    std::lock_guard lock(device_mutex_);
    std::string drops;
    for (int d = 0; d < static_cast<int>(wg::Drop::kCount); ++d)
      if (auto n = device_.drops(static_cast<wg::Drop>(d)))
        drops += fmt::format(" {}={}", wg::drop_name(static_cast<wg::Drop>(d)), n);
    spdlog::info("{}: shut down (port {}); dropped packets:{}", name(), port,
                 drops.empty() ? " none" : drops);
  }
  std::lock_guard lock(failure_mutex_);
  if (failure_) return std::unexpected(*failure_);
  return result;
}

Result<void> Interface::control_loop() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  UniqueFd sigfd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  UniqueFd timer(timerfd_create(kTimerClock, TFD_NONBLOCK | TFD_CLOEXEC));
  UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!sigfd || !timer || !ep) return fail(std::string("control loop: ") + std::strerror(errno), errno);
  enum : std::uint64_t { kUapi, kLink, kSignal, kTimer, kWake, kStop };
  auto add = [&](int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  add(uapi_->fd(), kUapi);
  add(link_monitor_->fd(), kLink);
  add(sigfd.get(), kSignal);
  add(timer.get(), kTimer);
  add(wake_fd_.get(), kWake);
  add(stop_fd_.get(), kStop);

  wg::Nanos next_mtu_check = 0;
  while (!stopping_) {
    // Run due timers, then sleep until the next one (at most a second: the MTU is polled).
    const wg::Now now = clock_now();
    wg::Nanos deadline;
    {
      BatchSink sink;
      {
        std::lock_guard lock(device_mutex_);
        deadline = device_.tick(now, sink);
      }
      flush(sink);
    }
    if (now.mono >= next_mtu_check) {
      refresh_mtu();
      next_mtu_check = now.mono + wg::kSecond;
    }
    deadline = std::min(deadline, now.mono + wg::kSecond);
    control_wakes_at_.store(deadline, std::memory_order_relaxed);
    itimerspec its{};
    its.it_value.tv_sec = deadline / wg::kSecond;
    its.it_value.tv_nsec = deadline % wg::kSecond;
    timerfd_settime(timer.get(), TFD_TIMER_ABSTIME, &its, nullptr);

    epoll_event events[8];
    const int n = epoll_wait(ep.get(), events, 8, -1);
    if (n < 0 && errno != EINTR) return fail(std::string("epoll: ") + std::strerror(errno), errno);
    for (int i = 0; i < n; ++i) {
      switch (events[i].data.u64) {
        case kUapi:
          uapi_->handle_ready();
          break;
        case kLink: {
          auto gone = link_monitor_->interface_gone();
          if (!gone || *gone) {
            spdlog::info("{}: interface deleted, shutting down", name());
            request_stop();
          }
          break;
        }
        case kSignal: {
          signalfd_siginfo si;
          while (::read(sigfd.get(), &si, sizeof si) == sizeof si)
            spdlog::info("{}: {} received, shutting down", name(), strsignal(static_cast<int>(si.ssi_signo)));
          request_stop();
          break;
        }
        case kTimer:
        case kWake:
          drain(events[i].data.u64 == kTimer ? timer.get() : wake_fd_.get());
          break;
        case kStop:
          break;
      }
    }
  }
  return {};
}

wg::DeviceStatus Interface::get() {
  wg::DeviceStatus s;
  {
    std::lock_guard lock(device_mutex_);
    s = device_.status();
  }
  s.listen_port = listen_port();
  return s;
}

Result<void> Interface::set(wg::DeviceChange change) {
  {
    std::lock_guard lock(device_mutex_);
    if (auto ok = device_.validate(change); !ok) return ok;
  }
  // Everything that can still fail happens before the protocol state changes.
  std::shared_ptr<UdpBind> fresh;
  auto current = bind_.load();
  std::uint32_t fwmark;
  {
    std::lock_guard lock(device_mutex_);
    fwmark = change.fwmark.value_or(device_.fwmark());
  }
  if (change.listen_port && (*change.listen_port != current->port() || *change.listen_port == 0)) {
    auto b = UdpBind::open(*change.listen_port, fwmark, options_.offloads);
    if (!b) return std::unexpected(b.error().context("listen_port"));
    fresh = std::move(*b);
  } else if (change.fwmark) {
    if (auto ok = current->set_fwmark(*change.fwmark); !ok) return ok;
  }

  BatchSink sink;
  wg::Nanos deadline;
  {
    std::lock_guard lock(device_mutex_);
    if (auto ok = device_.apply(change, clock_now(), sink); !ok) return ok;  // validated above
    deadline = device_.next_deadline();
  }
  if (fresh) {
    spdlog::info("{}: listening on UDP port {}", name(), fresh->port());
    swap_bind(std::move(fresh));
  }
  flush(sink);
  wake_control_if_needed(deadline);
  return {};
}

}  // namespace wgd::tunnel
