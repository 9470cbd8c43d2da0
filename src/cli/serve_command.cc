// wgd serve: the VPN server with its REST API (serve/server.h). Every setting has an
// environment variable (serve/settings.h); the flags here are the common ones plus
// `--set NAME=VALUE` for any other, and they win over the config file and the environment.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/logging.h"
#include "serve/server.h"
#include "serve/settings.h"

extern char** environ;

namespace wgd::cli {
namespace {

struct ServeArgs {
  std::string config, data_dir, database, interface, listen_port, api_listen, endpoint, device;
  std::vector<std::string> set;
  bool verbose = false;
  bool rotate_token = false;
  bool check = false;
};

Result<std::vector<serve::SettingsInput>> flag_inputs(const ServeArgs& a) {
  std::vector<serve::SettingsInput> in;
  const auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) in.push_back({name, value, "flag"});
  };
  add("WGD_CONFIG", a.config);
  add("WGD_DATA_DIR", a.data_dir);
  add("WGD_DATABASE", a.database);
  add("WGD_INTERFACE", a.interface);
  add("WGD_LISTEN_PORT", a.listen_port);
  add("WGD_API_LISTEN", a.api_listen);
  add("WGD_ENDPOINT", a.endpoint);
  add("WGD_DEVICE", a.device);
  if (a.verbose) in.push_back({"WGD_VERBOSE", "true", "flag"});
  for (const auto& kv : a.set) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return failf("--set '{}': expected NAME=VALUE", kv);
    in.push_back({kv.substr(0, eq), kv.substr(eq + 1), "flag --set"});
  }
  return in;
}

int run_serve(const ServeArgs& args) {
  auto flags = flag_inputs(args);
  if (!flags) {
    std::fprintf(stderr, "wgd serve: %s\n", flags.error().message.c_str());
    return 2;
  }
  auto resolved = serve::resolve_settings(serve::settings_from_environment(environ), *flags);
  if (!resolved) {
    std::fprintf(stderr, "wgd serve: %s\n", resolved.error().message.c_str());
    return 2;
  }
  if (args.check) {
    for (const auto& line : serve::describe_settings(*resolved)) std::printf("%s\n", line.c_str());
    return 0;
  }
  // Log lines go to stderr, so that stdout carries only what was asked for (the token).
  setup_logging(LogTarget::kStderr, "wgd", resolved->settings.verbose);
  if (args.rotate_token) {
    auto token = serve::rotate_api_token(resolved->settings);
    if (!token) {
      std::fprintf(stderr, "wgd serve: %s\n", token.error().message.c_str());
      return 1;
    }
    // The one place the token is printed: the operator asked for it.
    std::printf("%s\n", token->c_str());
    return 0;
  }
  auto server = serve::Server::start(std::move(*resolved));
  if (!server) {
    spdlog::error("wgd serve: {}", server.error().message);
    return 1;
  }
  auto ended = (*server)->wait();
  if (!ended) {
    spdlog::error("wgd serve: {}", ended.error().message);
    return 1;
  }
  return 0;
}

}  // namespace

void register_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Run the VPN server: the interface, the peer store and the REST API. Settings come from "
      "defaults < config file < environment (WGD_*) < these flags.");
  cmd->add_option("-c,--config", args->config, "Config file of NAME=VALUE lines (WGD_CONFIG; default /etc/wgd/wgd.conf if it exists)");
  cmd->add_option("--data-dir", args->data_dir, "Data directory (WGD_DATA_DIR, default /var/lib/wgd)");
  cmd->add_option("--database", args->database, "Store URL (WGD_DATABASE, default sqlite://DATA_DIR/wgd.db)");
  cmd->add_option("-i,--interface", args->interface, "Interface name (WGD_INTERFACE, default wg0)");
  cmd->add_option("-p,--listen-port", args->listen_port, "UDP port (WGD_LISTEN_PORT, default 51820)");
  cmd->add_option("--api-listen", args->api_listen, "API address HOST:PORT or unix:/path (WGD_API_LISTEN, default 127.0.0.1:8080)");
  cmd->add_option("--endpoint", args->endpoint, "Host[:port] clients connect to (WGD_ENDPOINT, default: detected)");
  cmd->add_option("--device", args->device, "inprocess or uapi:PATH|IFNAME (WGD_DEVICE)");
  cmd->add_option("--set", args->set, "Any setting as NAME=VALUE, e.g. --set WGD_CLIENT_DNS=1.1.1.1 (repeatable)");
  cmd->add_flag("-v,--verbose", args->verbose, "Log debug messages too (WGD_VERBOSE)");
  cmd->add_flag("--rotate-token", args->rotate_token, "Write a new API token, print it and exit (a running server switches to it within a second)");
  cmd->add_flag("--check", args->check, "Resolve and validate the settings, print them with their origin, and exit");
  cmd->callback([args] { exit_code() = run_serve(*args); });
}

}  // namespace wgd::cli
