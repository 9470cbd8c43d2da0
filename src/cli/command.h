// The CLI is a table of subcommands, each in its own file (as wireguard-tools' wg.c).
// Each file defines one `register_*` function that adds its subcommand(s) to the app and sets
// the callback; main.cc only lists them.
#pragma once

#include <CLI/CLI.hpp>

namespace wgd::cli {

void register_key_commands(CLI::App& app);     // genkey, pubkey, genpsk
void register_tunnel_command(CLI::App& app);   // tunnel

// Set by a subcommand's callback: the process exit code.
int& exit_code();

}  // namespace wgd::cli
