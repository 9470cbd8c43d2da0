#include "cli/peer_api_client.h"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "serve/listen_address.h"
#include "serve/settings.h"
#include "util/unique_fd.h"

extern char** environ;

namespace wgd::cli {
namespace {

constexpr std::string_view kTokenFileName = "api-token";

// cpp-httplib 0.11 cannot connect to a unix socket, but lets a client subclass make the
// connection: everything above the socket (HTTP/1.1, keep-alive, bodies) stays httplib's.
class UnixSocketClient : public httplib::ClientImpl {
 public:
  explicit UnixSocketClient(std::string path) : httplib::ClientImpl("localhost"), path_(std::move(path)) {}

 protected:
  bool create_and_connect_socket(Socket& socket, httplib::Error& error) override {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path_.size() >= sizeof sa.sun_path) {
      error = httplib::Error::Connection;
      return false;
    }
    std::memcpy(sa.sun_path, path_.c_str(), path_.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      last_errno_ = errno;
      error = httplib::Error::Connection;
      return false;
    }
    socket.sock = fd.release();
    return true;
  }

 public:
  int last_errno_ = 0;

 private:
  std::string path_;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

// The token file's first line, or why it could not be read.
std::pair<std::string, std::string> read_token_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    const int err = errno;
    return {"", fmt::format("{}: {}", path, std::strerror(err))};
  }
  std::string line;
  std::getline(f, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return {"", fmt::format("{} is empty", path)};
  return {line, ""};
}

// httplib reports only "Connection" when connect() fails; one more attempt names the reason
// ("Connection refused", "Network is unreachable").
std::optional<std::string> tcp_connect_error(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return std::nullopt;
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  UniqueFd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::nullopt;
  if (::connect(fd.get(), found->ai_addr, found->ai_addrlen) == 0) return std::nullopt;
  return std::string(std::strerror(errno));
}

}  // namespace

std::string url_encode_segment(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

PeerApiClient::PeerApiClient(PeerApiClient&&) noexcept = default;
PeerApiClient& PeerApiClient::operator=(PeerApiClient&&) noexcept = default;
PeerApiClient::~PeerApiClient() = default;

Result<PeerApiClient> PeerApiClient::create(const ApiClientOptions& o) {
  // The server's own settings resolution (config file < environment < flags, aliases such as
  // API_PORT), so `wgd peer` finds the API wherever `wgd serve` put it. Only needed for what
  // the command line did not say.
  std::string listen = o.api, data_dir = o.data_dir;
  const bool need_token_file = o.token.empty() && env("WGD_API_TOKEN").empty() && o.token_file.empty();
  if (listen.empty() || (need_token_file && data_dir.empty())) {
    std::vector<serve::SettingsInput> flags;
    if (!o.api.empty()) flags.push_back({"WGD_API_LISTEN", o.api, "flag"});
    if (!o.data_dir.empty()) flags.push_back({"WGD_DATA_DIR", o.data_dir, "flag"});
    auto resolved = serve::resolve_settings(serve::settings_from_environment(environ), flags);
    if (!resolved)
      return std::unexpected(resolved.error().context("reading the server's settings (pass --api to skip)"));
    if (listen.empty()) listen = resolved->settings.api_listen;
    if (data_dir.empty()) data_dir = resolved->settings.data_dir;
  }

  auto address = serve::parse_listen_address(listen);
  if (!address) return std::unexpected(address.error().context(fmt::format("API address '{}'", listen)));
  PeerApiClient c;
  if (address->kind == serve::ListenAddress::Kind::kUnix) {
    c.http_ = std::make_unique<UnixSocketClient>(address->path);
    c.address_text_ = address->to_string();
  } else {
    // A server listening on every address is reached on loopback.
    std::string host = address->host;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (address->port == 0) return failf("API address '{}': port 0 is not a server's address", listen);
    c.http_ = std::make_unique<httplib::ClientImpl>(host, address->port);
    c.tcp_host_ = host;
    c.tcp_port_ = address->port;
    serve::ListenAddress shown = *address;
    shown.host = host;
    c.address_text_ = shown.to_string();
  }
  c.http_->set_connection_timeout(5, 0);
  c.http_->set_read_timeout(60, 0);
  c.http_->set_write_timeout(60, 0);

  if (!o.token.empty()) {
    c.token_ = o.token;
  } else if (std::string t = env("WGD_API_TOKEN"); !t.empty()) {
    c.token_ = t;
  } else {
    const std::string path = !o.token_file.empty() ? o.token_file : data_dir + "/" + std::string(kTokenFileName);
    auto [token, why] = read_token_file(path);
    c.token_ = token;
    c.token_note_ = why;
  }
  return c;
}

Result<ApiResponse> PeerApiClient::send(std::string_view method, const std::string& path,
                                        const std::optional<nlohmann::json>& body) {
  httplib::Headers headers;
  if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
  const std::string payload = body ? body->dump() : std::string();
  const char* type = "application/json";
  if (method != "GET" && method != "POST" && method != "PATCH" && method != "PUT" && method != "DELETE")
    return failf("unsupported method {}", method);
  httplib::Result r = [&] {
    if (method == "GET") return http_->Get(path.c_str(), headers);
    if (method == "POST") return http_->Post(path.c_str(), headers, payload, type);
    if (method == "PATCH") return http_->Patch(path.c_str(), headers, payload, type);
    if (method == "PUT") return http_->Put(path.c_str(), headers, payload, type);
    return http_->Delete(path.c_str(), headers);
  }();
  if (!r) {
    std::string why = httplib::to_string(r.error());
    if (auto* unix_client = dynamic_cast<UnixSocketClient*>(http_.get()); unix_client && unix_client->last_errno_)
      why = std::strerror(unix_client->last_errno_);
    else if (r.error() == httplib::Error::Connection)
      why = tcp_connect_error(tcp_host_, tcp_port_).value_or(why);
    if (r.error() == httplib::Error::Connection)
      return failf("cannot connect to the wgd API at {} ({}): is `wgd serve` running? (the "
                   "address comes from --api, WGD_API_LISTEN or the server's config file)",
                   address_text_, why);
    return failf("the wgd API at {} did not answer {} {}: {}", address_text_, method, path, why);
  }
  return ApiResponse{r->status, r->body, r->get_header_value("Content-Type")};
}

std::string PeerApiClient::error_text(const ApiResponse& r) const {
  std::string message, field;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    if (e.contains("message") && e["message"].is_string()) message = e["message"];
    if (e.contains("field") && e["field"].is_string()) field = e["field"];
  } else if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    message = j["message"];
  } else {
    message = r.body.substr(0, 200);
  }
  std::string out = fmt::format("{} {}", r.status, reason_phrase(r.status));
  if (!message.empty()) out += ": " + message;
  if (!field.empty() && message.find(field) == std::string::npos) out += fmt::format(" (field {})", field);
  if (r.status == 401) {
    out += token_.empty() ? "\nno token was sent" : "\nthe token was refused";
    if (!token_note_.empty()) out += " (" + token_note_ + ")";
    out += ": pass --token, set WGD_API_TOKEN, or run as a user who can read the server's "
           "<data_dir>/api-token";
  }
  return out;
}

Result<nlohmann::json> PeerApiClient::json_of(const ApiResponse& r, int expected) const {
  if (r.status != expected) return fail(error_text(r));
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    return failf("the API answered {} with a body that is not JSON: {}", r.status, r.body.substr(0, 200));
  return j;
}

Result<void> PeerApiClient::expect(const ApiResponse& r, int expected) const {
  if (r.status != expected) return fail(error_text(r));
  return {};
}

}  // namespace wgd::cli
