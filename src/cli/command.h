// The CLI is a table of subcommands, each in its own file (as wireguard-tools' wg.c).
// Each file defines one `register_*` function that adds its subcommand(s) to the app and sets
// the callback; main.cc only lists them.
#pragma once

#include <CLI/CLI.hpp>

namespace wgd::cli {

void register_key_commands(CLI::App& app);     // genkey, pubkey, genpsk
void register_tunnel_command(CLI::App& app);   // tunnel
void register_strip_command(CLI::App& app);    // strip
void register_up_down_commands(CLI::App& app); // up, down
void register_show_commands(CLI::App& app);    // show, showconf
void register_mesh_command(CLI::App& app);     // mesh generate, mesh show
void register_serve_command(CLI::App& app);    // serve
void register_doctor_command(CLI::App& app);   // doctor, doctor listen, doctor probe
void register_peer_commands(CLI::App& app);    // peer add|list|show|config|qr|enable|disable|remove|update

// Set by a subcommand's callback: the process exit code.
int& exit_code();

}  // namespace wgd::cli
