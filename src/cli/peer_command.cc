// wgd peer add|list|show|config|qr|enable|disable|remove|update: the running server's peers,
// through its REST API (peer_api_client.h), so the CLI, scripts and the API share one set of
// rules and one log of changes. `--json` on every command that shows a peer prints the API's
// own JSON; otherwise a table (list) or `wg`-style text. Exit code 0 on success, 1 on any error.
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/peer_api_client.h"
#include "qr/atomic_file.h"
#include "qr/png_render.h"
#include "qr/qr_code.h"
#include "qr/terminal_render.h"
#include "serve/api/json_codec.h"
#include "uapi/wg_show.h"

namespace wgd::cli {
namespace {

using json = nlohmann::json;

struct CommonArgs {
  ApiClientOptions api;
  bool json_output = false;
};

// Fields of add and update, as given on the command line (empty = not given).
struct PeerFieldArgs {
  std::string name, public_key, ipv4, ipv6, allowed_ips, client_allowed_ips, dns, keepalive,
      description, expires, managed_by, enabled;
  bool no_preshared_key = false;
  bool disabled = false;
  std::optional<std::int64_t> revision;
};

void print_error(std::string_view command, const Error& e) {
  std::fprintf(stderr, "wgd peer %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               e.message.c_str());
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The request body for add/update. Values pass through as the user wrote them: the server
// validates and its error names the field.
Result<json> fields_to_json(const PeerFieldArgs& a, bool update) {
  json b = json::object();
  if (!a.name.empty()) b["name"] = a.name;
  if (!a.public_key.empty()) b["public_key"] = a.public_key;
  if (a.no_preshared_key) b[update ? "preshared_key" : "generate_preshared_key"] = update ? json(nullptr) : json(false);
  if (!a.ipv4.empty()) b["ipv4"] = a.ipv4;
  if (!a.ipv6.empty()) b["ipv6"] = a.ipv6;
  // "" (given as --allowed-ips '') clears a list in an update.
  if (!a.allowed_ips.empty()) b["allowed_ips"] = a.allowed_ips == "none" ? json::array() : json(split_list(a.allowed_ips));
  if (!a.client_allowed_ips.empty())
    b["client_allowed_ips"] = a.client_allowed_ips == "default" ? json::array() : json(split_list(a.client_allowed_ips));
  if (!a.dns.empty()) b["dns"] = a.dns == "default" ? json::array() : json(split_list(a.dns));
  if (!a.keepalive.empty()) {
    if (a.keepalive == "off") {
      b["persistent_keepalive"] = nullptr;
    } else {
      char* end = nullptr;
      long v = std::strtol(a.keepalive.c_str(), &end, 10);
      if (*end != '\0' || v < 0 || v > 65535)
        return failf("--keepalive: '{}' is not a number of seconds (0-65535) or 'off'", a.keepalive);
      b["persistent_keepalive"] = v;
    }
  }
  if (!a.description.empty()) b["description"] = a.description;
  if (!a.expires.empty()) {
    if (a.expires == "never") {
      b["expires_at"] = nullptr;
    } else if (a.expires.find_first_not_of("0123456789") == std::string::npos) {
      b["expires_at"] = std::stoll(a.expires);
    } else {
      b["expires_at"] = a.expires;
    }
  }
  if (!a.managed_by.empty()) b["managed_by"] = a.managed_by;
  if (a.disabled) b["enabled"] = false;
  if (!a.enabled.empty()) {
    if (a.enabled != "true" && a.enabled != "false") return failf("--enabled: expected true or false");
    b["enabled"] = a.enabled == "true";
  }
  if (a.revision) b["revision"] = *a.revision;
  return b;
}

void add_field_options(CLI::App* cmd, PeerFieldArgs& f, bool update) {
  if (update) cmd->add_option("--name", f.name, "New name");
  cmd->add_option("--public-key", f.public_key,
                  "The client's public key (it keeps its private key; no config/QR from the server)");
  cmd->add_flag("--no-preshared-key", f.no_preshared_key,
                update ? "Remove the preshared key" : "Do not generate a preshared key");
  cmd->add_option("--ipv4", f.ipv4, "auto | none | A.B.C.D from the server's subnet");
  cmd->add_option("--ipv6", f.ipv6, "auto | none | an address from the server's IPv6 subnet");
  cmd->add_option("--allowed-ips", f.allowed_ips,
                  "Extra prefixes routed to the peer, comma-separated (site-to-site); none clears");
  cmd->add_option("--client-allowed-ips", f.client_allowed_ips,
                  "What the client routes into the tunnel, comma-separated; default = the server's");
  cmd->add_option("--dns", f.dns, "DNS servers/search domains for the client config; default = the server's");
  cmd->add_option("--keepalive", f.keepalive, "Persistent keepalive in seconds, or off");
  cmd->add_option("--description", f.description, "Free text");
  cmd->add_option("--expires", f.expires, "RFC 3339 time or Unix seconds; never clears");
  cmd->add_option("--managed-by", f.managed_by, "Owner tag (default api)");
  if (update) {
    cmd->add_option("--enabled", f.enabled, "true or false");
    cmd->add_option("--revision", f.revision, "Apply only if the peer is still at this revision");
  } else {
    cmd->add_flag("--disabled", f.disabled, "Create it disabled");
  }
}

void add_common_options(CLI::App* cmd, CommonArgs& c, bool json_flag) {
  cmd->add_option("--api", c.api.api,
                  "Server API address: HOST:PORT, [V6]:PORT or unix:/path (default: WGD_API_LISTEN, "
                  "the config file, 127.0.0.1:8080)");
  cmd->add_option("--token", c.api.token, "API token (default: WGD_API_TOKEN, then <data_dir>/api-token)");
  cmd->add_option("--token-file", c.api.token_file, "Read the API token from this file");
  cmd->add_option("--data-dir", c.api.data_dir, "The server's data directory (for its token file)");
  if (json_flag) cmd->add_flag("--json", c.json_output, "Print the API's JSON");
}

// --- human output --------------------------------------------------------------------------

std::string str(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  if (j[key].is_string()) return j[key].get<std::string>();
  return j[key].dump();
}

std::string join(const json& list, std::string_view empty = "(none)") {
  if (!list.is_array() || list.empty()) return std::string(empty);
  std::string out;
  for (const auto& item : list) {
    if (!out.empty()) out += ", ";
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

std::string handshake_ago(const json& status, bool compact) {
  const std::string when = str(status, "latest_handshake");
  if (when.empty()) return "never";
  auto t = serve::api::parse_rfc3339(when);
  if (!t) return when;
  if (!compact) return uapi::pretty_ago(*t, now(), false);
  std::int64_t age = now() - *t;
  if (age < 0) age = 0;
  if (age < 60) return std::to_string(age) + "s ago";
  if (age < 3600) return std::to_string(age / 60) + "m ago";
  if (age < 86400) return std::to_string(age / 3600) + "h ago";
  return std::to_string(age / 86400) + "d ago";
}

std::uint64_t num(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<std::uint64_t>() : 0;
}

void print_peer(const json& p) {
  const json& st = p.contains("status") ? p["status"] : json::object();
  std::printf("peer: %s (id %s)\n", str(p, "name").c_str(), str(p, "id").c_str());
  std::printf("  public key: %s\n", str(p, "public_key").c_str());
  std::printf("  private key: %s\n",
              p.value("has_private_key", false) ? "kept by the server (config and QR available)"
                                                : "kept by the client");
  std::printf("  preshared key: %s\n", p.value("has_preshared_key", false) ? "yes" : "no");
  json addresses = json::array();
  for (const char* k : {"ipv4", "ipv6"})
    if (!str(p, k).empty()) addresses.push_back(str(p, k));
  std::printf("  addresses: %s\n", join(addresses).c_str());
  std::printf("  allowed ips (server side): %s\n", join(p.value("allowed_ips", json::array())).c_str());
  std::printf("  client allowed ips: %s\n",
              join(p.value("client_allowed_ips", json::array()), "(server default)").c_str());
  std::printf("  dns: %s\n", join(p.value("dns", json::array()), "(server default)").c_str());
  const std::string keepalive = str(p, "persistent_keepalive");
  std::printf("  persistent keepalive: %s\n", keepalive.empty() ? "off" : ("every " + keepalive + " seconds").c_str());
  if (!str(p, "description").empty()) std::printf("  description: %s\n", str(p, "description").c_str());
  std::printf("  enabled: %s\n", p.value("enabled", false) ? "yes" : "no");
  const std::string expires = str(p, "expires_at");
  std::printf("  expires: %s%s\n", expires.empty() ? "never" : expires.c_str(),
              p.value("expired", false) ? " (expired: off the interface)" : "");
  std::printf("  managed by: %s\n", str(p, "managed_by").c_str());
  std::printf("  created: %s, updated: %s (revision %s)\n", str(p, "created_at").c_str(),
              str(p, "updated_at").c_str(), str(p, "revision").c_str());
  if (st.value("on_interface", false)) {
    const std::string endpoint = str(st, "endpoint");
    std::printf("  on the interface: yes%s%s\n", endpoint.empty() ? "" : ", endpoint ", endpoint.c_str());
    std::printf("  latest handshake: %s\n", handshake_ago(st, false).c_str());
    std::printf("  transfer: %s received, %s sent\n", uapi::pretty_bytes(num(st, "rx_bytes"), false).c_str(),
                uapi::pretty_bytes(num(st, "tx_bytes"), false).c_str());
  } else {
    std::printf("  on the interface: no\n");
  }
}

void print_table(const json& peers) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "IPV4", "IPV6", "ENABLED", "HANDSHAKE", "RECEIVED", "SENT"}};
  for (const auto& p : peers) {
    const json& st = p.contains("status") ? p["status"] : json::object();
    std::string enabled = p.value("enabled", false) ? "yes" : "no";
    if (p.value("expired", false)) enabled = "expired";
    rows.push_back({str(p, "id"), str(p, "name"), str(p, "ipv4").empty() ? "-" : str(p, "ipv4"),
                    str(p, "ipv6").empty() ? "-" : str(p, "ipv6"), enabled, handshake_ago(st, true),
                    uapi::pretty_bytes(num(st, "rx_bytes"), false),
                    uapi::pretty_bytes(num(st, "tx_bytes"), false)});
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

// --- the commands --------------------------------------------------------------------------

std::string peer_path(const std::string& ref, std::string_view suffix = "") {
  return "/api/v1/peers/" + url_encode_segment(ref) + std::string(suffix);
}

// Runs `body` with a client; prints its error and returns 1 on failure.
template <class F>
int with_client(std::string_view command, const CommonArgs& c, F&& body) {
  auto client = PeerApiClient::create(c.api);
  if (!client) {
    print_error(command, client.error());
    return 1;
  }
  Result<void> r = body(*client);
  if (!r) {
    print_error(command, r.error());
    return 1;
  }
  return 0;
}

// A command whose answer is one peer: --json prints it, otherwise `print_peer` or `done`.
Result<void> show_peer_answer(PeerApiClient& api, const ApiResponse& r, int expected, const CommonArgs& c,
                              const std::string& done) {
  auto j = api.json_of(r, expected);
  if (!j) return std::unexpected(j.error());
  if (c.json_output) {
    std::printf("%s\n", j->dump(2).c_str());
  } else if (done.empty()) {
    print_peer(*j);
  } else {
    std::printf("%s\n", done.c_str());
  }
  return {};
}

struct ListArgs {
  std::string name, managed_by, enabled;
  std::optional<std::size_t> limit, offset;
  bool all = false;
};

Result<void> run_list(PeerApiClient& api, const CommonArgs& c, const ListArgs& a) {
  auto query = [&](std::size_t limit, std::size_t offset) {
    std::string q = fmt::format("/api/v1/peers?limit={}&offset={}", limit, offset);
    if (!a.name.empty()) q += "&name=" + url_encode_segment(a.name);
    if (!a.managed_by.empty()) q += "&managed_by=" + url_encode_segment(a.managed_by);
    if (!a.enabled.empty()) q += "&enabled=" + url_encode_segment(a.enabled);
    return q;
  };
  constexpr std::size_t kMaxPage = 1000;  // the API's maximum
  json peers = json::array();
  std::int64_t total = 0;
  std::size_t offset = a.offset.value_or(0);
  const std::size_t limit = a.all ? kMaxPage : a.limit.value_or(100);
  json last;
  for (;;) {
    auto r = api.send("GET", query(limit, offset));
    if (!r) return std::unexpected(r.error());
    auto j = api.json_of(*r, 200);
    if (!j) return std::unexpected(j.error());
    total = j->value("total", std::int64_t{0});
    const json page = j->value("peers", json::array());
    for (const auto& p : page) peers.push_back(p);
    last = std::move(*j);
    offset += page.size();
    if (!a.all || page.empty() || offset >= static_cast<std::size_t>(total)) break;
  }
  if (c.json_output) {
    if (a.all) last = {{"peers", peers}, {"total", total}, {"limit", peers.size()}, {"offset", a.offset.value_or(0)}};
    std::printf("%s\n", last.dump(2).c_str());
    return {};
  }
  print_table(peers);
  const std::size_t first = a.offset.value_or(0);
  if (static_cast<std::int64_t>(first + peers.size()) < total || first > 0)
    std::fprintf(stderr, "(peers %zu-%zu of %lld; --all lists every one, --limit/--offset page)\n",
                 peers.empty() ? first : first + 1, first + peers.size(), static_cast<long long>(total));
  return {};
}

Result<std::string> fetch_config(PeerApiClient& api, const std::string& ref) {
  auto r = api.send("GET", peer_path(ref, "/config"));
  if (!r) return std::unexpected(r.error());
  if (auto ok = api.expect(*r, 200); !ok) return std::unexpected(ok.error());
  return r->body;
}

}  // namespace

void register_peer_commands(CLI::App& app) {
  auto* peer = app.add_subcommand("peer", "Manage the peers of a running `wgd serve` through its API");
  peer->require_subcommand(1);

  // Option storage lives as long as the app (callbacks run after parsing).
  static CommonArgs common;
  static PeerFieldArgs fields;
  static ListArgs list_args;
  static std::string ref, output;

  auto* add = peer->add_subcommand("add", "Create a peer (keys and addresses chosen by the server unless given)");
  add->add_option("name", fields.name, "Peer name (letters, digits, '-', '_', '.')")->required();
  add_field_options(add, fields, false);
  add_common_options(add, common, true);
  add->callback([] {
    exit_code() = with_client("add", common, [](PeerApiClient& api) -> Result<void> {
      auto body = fields_to_json(fields, false);
      if (!body) return std::unexpected(body.error());
      auto r = api.send("POST", "/api/v1/peers", *body);
      if (!r) return std::unexpected(r.error());
      auto j = api.json_of(*r, 201);
      if (!j) return std::unexpected(j.error());
      if (common.json_output) {
        std::printf("%s\n", j->dump(2).c_str());
      } else {
        print_peer(*j);
        if (j->value("has_private_key", false))
          std::printf("client config: wgd peer config %s > %s.conf   (or: wgd peer qr %s)\n",
                      str(*j, "name").c_str(), str(*j, "name").c_str(), str(*j, "name").c_str());
      }
      return {};
    });
  });

  auto* list = peer->add_subcommand("list", "List peers (a table; --json for the API's JSON)");
  list->add_option("--name", list_args.name, "Only names containing this (case-insensitive)");
  list->add_option("--enabled", list_args.enabled, "true or false");
  list->add_option("--managed-by", list_args.managed_by, "Only peers of this owner (api, compat, ...)");
  list->add_option("--limit", list_args.limit, "Peers per page (default 100, at most 1000)");
  list->add_option("--offset", list_args.offset, "Skip this many peers");
  list->add_flag("--all", list_args.all, "Every peer, fetching as many pages as needed");
  add_common_options(list, common, true);
  list->callback([] {
    exit_code() = with_client("list", common, [](PeerApiClient& api) { return run_list(api, common, list_args); });
  });

  const auto ref_command = [&](const char* name, const char* help, bool json_flag) {
    auto* cmd = peer->add_subcommand(name, help);
    cmd->add_option("peer", ref, "The peer: its name, id or public key")->required();
    add_common_options(cmd, common, json_flag);
    return cmd;
  };

  ref_command("show", "Show one peer with its live status", true)->callback([] {
    exit_code() = with_client("show", common, [](PeerApiClient& api) -> Result<void> {
      auto r = api.send("GET", peer_path(ref));
      if (!r) return std::unexpected(r.error());
      return show_peer_answer(api, *r, 200, common, "");
    });
  });

  auto* config = ref_command("config", "Print the peer's wg-quick configuration (or write it with --output)", false);
  config->add_option("-o,--output", output, "Write to this file (mode 0600) instead of stdout");
  config->callback([] {
    exit_code() = with_client("config", common, [](PeerApiClient& api) -> Result<void> {
      auto conf = fetch_config(api, ref);
      if (!conf) return std::unexpected(conf.error());
      if (output.empty()) {
        std::fwrite(conf->data(), 1, conf->size(), stdout);
        return {};
      }
      return qr::write_file_atomically(output, *conf, 0600);
    });
  });

  auto* qr_cmd = ref_command("qr", "Show the peer's configuration as a QR code (or write a PNG with --output)", false);
  qr_cmd->add_option("-o,--output", output, "Write a PNG image to this file (mode 0600)");
  qr_cmd->callback([] {
    exit_code() = with_client("qr", common, [](PeerApiClient& api) -> Result<void> {
      auto conf = fetch_config(api, ref);
      if (!conf) return std::unexpected(conf.error());
      auto code = qr::encode(*conf);
      if (!code) return std::unexpected(code.error());
      if (!output.empty()) return qr::write_png_file(output, *code, 0600);
      const std::string art = qr::to_ansi_utf8(*code);
      std::fwrite(art.data(), 1, art.size(), stdout);
      return {};
    });
  });

  for (bool enable : {true, false}) {
    auto* cmd = ref_command(enable ? "enable" : "disable",
                            enable ? "Enable a peer (back on the interface)"
                                   : "Disable a peer (off the interface, kept in the store)",
                            true);
    cmd->callback([enable] {
      exit_code() = with_client(enable ? "enable" : "disable", common, [enable](PeerApiClient& api) -> Result<void> {
        auto r = api.send("POST", peer_path(ref, enable ? "/enable" : "/disable"));
        if (!r) return std::unexpected(r.error());
        return show_peer_answer(api, *r, 200, common,
                                fmt::format("peer {} {}", ref, enable ? "enabled" : "disabled"));
      });
    });
  }

  ref_command("remove", "Remove a peer for good (its addresses become free)", false)->callback([] {
    exit_code() = with_client("remove", common, [](PeerApiClient& api) -> Result<void> {
      auto r = api.send("DELETE", peer_path(ref));
      if (!r) return std::unexpected(r.error());
      if (auto ok = api.expect(*r, 204); !ok) return ok;
      std::printf("peer %s removed\n", ref.c_str());
      return {};
    });
  });

  auto* update = ref_command("update", "Change fields of a peer (only those given)", true);
  add_field_options(update, fields, true);
  update->callback([] {
    exit_code() = with_client("update", common, [](PeerApiClient& api) -> Result<void> {
      auto body = fields_to_json(fields, true);
      if (!body) return std::unexpected(body.error());
      if (body->empty()) return fail("nothing to change: give at least one option (see --help)");
      auto r = api.send("PATCH", peer_path(ref), *body);
      if (!r) return std::unexpected(r.error());
      return show_peer_answer(api, *r, 200, common, "");
    });
  });
}

}  // namespace wgd::cli
