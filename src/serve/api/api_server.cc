#include "serve/api/api_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "serve/api/json_codec.h"

namespace wgd::serve::api {

// httplib binds its own sockets by name only and cannot bind a unix socket in this version;
// its accept loop, though, serves whatever socket `svr_sock_` holds. So we bind ourselves
// (TCP or unix, with real errno messages) and hand the socket over.
struct ApiServer::Server : httplib::Server {
  bool serve_socket(int fd) {
    svr_sock_ = fd;
    return listen_after_bind();
  }
};

namespace {

Result<UniqueFd> listen_tcp(ListenAddress& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return failf("{}: {}", address.to_string(), gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  UniqueFd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(fmt::format("{}: socket: {}", address.to_string(), std::strerror(errno)), errno);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // httplib writes a response's header and body separately; with Nagle's algorithm the body
  // waits for the client's delayed ACK (40 ms per request). Accepted sockets inherit it.
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd.get(), SOMAXCONN) != 0)
    return fail(fmt::format("{}: {}", address.to_string(), std::strerror(errno)), errno);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (auto ep = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)) address.port = ep->port;
  }
  return fd;
}

Result<UniqueFd> listen_unix(const ListenAddress& address) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, address.path.c_str(), address.path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(fmt::format("{}: socket: {}", address.to_string(), std::strerror(errno)), errno);
  struct stat st;
  if (::lstat(address.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return failf("{}: exists and is not a socket", address.path);
    // A socket file left by a server that was killed: nobody answers on it, so it may go.
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0)
      return fail(fmt::format("{}: another server is listening on it", address.path), EADDRINUSE);
    ::unlink(address.path.c_str());
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd.get(), SOMAXCONN) != 0)
    return fail(fmt::format("{}: {}", address.path, std::strerror(errno)), errno);
  // Owner and group: the token still guards every request; the mode keeps other users out.
  ::chmod(address.path.c_str(), 0660);
  return fd;
}

}  // namespace

void write_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void write_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                 std::string_view field) {
  write_json(res, status, error_body(code, message, field));
}

void write_service_error(httplib::Response& res, const Error& e) {
  const HttpError h = http_error_from(e);
  if (h.status >= 500) spdlog::error("API: {}", e.message);
  write_error(res, h.status, h.code, h.message, h.field);
}

ApiServer::ApiServer(PeerService& peers, const ServerSettings& settings, ApiToken& token,
                     ApiServerOptions options)
    : peers_(peers), settings_(settings), token_(token), options_(std::move(options)),
      bound_(options_.listen), http_(std::make_unique<Server>()) {}

Result<std::unique_ptr<ApiServer>> ApiServer::create(PeerService& peers, const ServerSettings& settings,
                                                     ApiToken& token, ApiServerOptions options) {
  auto server = std::make_unique<ApiServer>(peers, settings, token, std::move(options));
  auto fd = server->bound_.kind == ListenAddress::Kind::kUnix ? listen_unix(server->bound_)
                                                              : listen_tcp(server->bound_);
  if (!fd) return std::unexpected(fd.error().context("API"));
  server->listen_fd_ = std::move(*fd);
  server->owns_socket_file_ = server->bound_.kind == ListenAddress::Kind::kUnix;
  server->register_routes();
  return server;
}

ApiServer::~ApiServer() { stop(); }

bool ApiServer::authorize(const httplib::Request& req, httplib::Response& res, std::string_view group) {
  bool required = settings_.api_auth;
  if (group == "compat") required = required && settings_.compat_auth;
  if (group == "metrics") required = required && settings_.metrics_auth;
  if (!required) return true;
  const std::string& header = req.get_header_value("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() > kScheme.size() &&
      strncasecmp(header.c_str(), kScheme.data(), kScheme.size()) == 0 &&
      token_.matches(std::string_view(header).substr(kScheme.size())))
    return true;
  counters_.auth_failures.fetch_add(1, std::memory_order_relaxed);
  res.set_header("WWW-Authenticate", "Bearer realm=\"wgd\"");
  write_error(res, 401, "unauthorized",
              header.empty() ? "missing bearer token (send Authorization: Bearer <token>; the "
                               "token is in the data directory's api-token file)"
                             : "wrong bearer token");
  return false;
}

void ApiServer::register_routes() {
  Server& http = *http_;
  const std::size_t threads = options_.threads;
  // httplib takes ownership of the queue it gets from this factory (its API needs a new).
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(options_.max_body_bytes);
  http.set_keep_alive_max_count(100);
  http.set_keep_alive_timeout(2);  // an idle client holds a pool thread; shutdown waits for it
  http.set_read_timeout(10);
  http.set_write_timeout(10);

  // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3), but this
  // httplib version reads such a POST/PATCH/DELETE body until the client closes the connection,
  // so `curl -X POST .../disable` would hang for the read timeout and get 400. This handler runs
  // before the body is read; stating the length makes httplib read nothing. (The Request object
  // is not const; the handler type only declares it so.)
  http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
      const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    if (res.status >= 400) counters_.errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("API: {} {} -> {}", req.method, req.path, res.status);
  });
  // Errors without a body (no route, body too large, bad request line) get the JSON shape too.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) -> httplib::Server::HandlerResponse {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    switch (res.status) {
      case 404:
        write_error(res, 404, "not_found", "no such path");
        break;
      case 413:
        write_error(res, 413, "payload_too_large", "the request body is too large");
        break;
      default:
        write_error(res, res.status, "bad_request", "the request cannot be handled");
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("API: {} {}: {}", req.method, req.path, what);
    write_error(res, 500, "internal", "internal error");
  });

  context_ = std::make_unique<ApiContext>(
      http,
      peers_,
      settings_,
      counters_,
      [this](const httplib::Request& req, httplib::Response& res, std::string_view group) {
        return authorize(req, res, group);
      },
      [](httplib::Response& res, int status, std::string_view code, std::string_view message,
         std::string_view field) { write_error(res, status, code, message, field); });

  http.Post("/api/v1/token/rotate", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, "api")) return;
    auto token = token_.rotate();
    if (!token) return write_service_error(res, token.error());
    spdlog::info("API token rotated through the API; the previous token no longer works");
    write_json(res, 200, {{"token", *token}});
  });
  register_native_routes(*context_);
  register_compat_routes(*context_);
  register_metrics_routes(*context_);
  register_openapi_routes(*context_);
  for (const auto& extra : options_.extra_routes) extra(*context_);  // issue 6: fleet sync
}

void ApiServer::start() {
  const int fd = listen_fd_.release();  // httplib closes it in stop()
  thread_ = std::thread([this, fd] {
    if (!http_->serve_socket(fd)) spdlog::error("API: the HTTP server stopped with an error");
  });
  // stop() only works on a running server: return once it runs.
  for (int i = 0; i < 1000 && !http_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void ApiServer::stop() {
  if (stopped_.exchange(true)) return;
  if (thread_.joinable()) {
    http_->stop();
    thread_.join();
  }
  listen_fd_.reset();
  if (owns_socket_file_) ::unlink(bound_.path.c_str());
}

}  // namespace wgd::serve::api
