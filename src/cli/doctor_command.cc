// wgd doctor [IFNAME...]           local checks: interface, socket, firewall, peers, forwarding/NAT
// wgd doctor listen [--port P]      the `nc -lup P` side of seed 000's recipe, answering probes
// wgd doctor probe HOST[:PORT]      the `echo | nc -u HOST P` side, with answers and round trips
// See docs/doctor.md.
#include <fmt/format.h>
#include <net/if.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "doctor/doctor.h"
#include "doctor/firewall_checks.h"
#include "doctor/firewall_read.h"
#include "doctor/host_port.h"
#include "doctor/udp_listener.h"
#include "doctor/udp_prober.h"
#include "uapi/uapi_client.h"

namespace wgd::cli {
namespace {

constexpr std::uint16_t kDefaultPort = 51820;
constexpr std::chrono::milliseconds kUapiTimeout{3000};

void say(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string clock_text() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

struct DoctorArgs {
  std::vector<std::string> interfaces;
  double sample = 2;
  bool gateway = false;
};

int run_checks(const DoctorArgs& args) {
  doctor::DoctorOptions options;
  options.interfaces = args.interfaces;
  options.sample_seconds = args.sample;
  options.gateway.flag = args.gateway;
  options.gateway.client_allowed_ips = doctor::client_allowed_ips_from_environment();
  doctor::Report report = doctor::run_doctor(options);
  std::fputs(doctor::render_report(report).c_str(), stdout);
  return report.count(doctor::Severity::kFail) > 0 ? 1 : 0;
}

struct ListenArgs {
  int port = -1;  // -1: the interface's port if free, else a spare one
  std::string interface;
  double timeout = 0;
  int count = 0;
  bool no_reply = false;
};

// The interfaces of this network namespace that answer on their sockets, with their listening
// ports. (The socket directory is shared by all namespaces; a port is only "ours" here.)
std::vector<std::pair<std::string, std::uint16_t>> interface_ports() {
  std::vector<std::pair<std::string, std::uint16_t>> out;
  for (const auto& name : doctor::socket_interfaces("/var/run/wireguard")) {
    if (::if_nametoindex(name.c_str()) == 0) continue;
    if (auto s = uapi::get(name, kUapiTimeout); s && s->listen_port)
      out.emplace_back(name, s->listen_port);
  }
  return out;
}

int run_listen(const ListenArgs& args) {
  std::uint16_t port = kDefaultPort;
  std::optional<std::pair<std::string, std::uint16_t>> owner;  // the interface that has `port`
  const auto ports = interface_ports();
  if (args.port >= 0) {
    port = static_cast<std::uint16_t>(args.port);
    for (const auto& p : ports)
      if (p.second == port) owner = p;
  } else if (!ports.empty()) {
    owner = ports.front();
    for (const auto& p : ports)
      if (p.first == args.interface) owner = p;
    if (!args.interface.empty() && owner->first != args.interface) {
      std::fprintf(stderr, "wgd doctor listen: no interface %s with a listening port\n",
                   args.interface.c_str());
      return 2;
    }
    port = owner->second;
  }

  auto listener = doctor::UdpListener::bind(port);
  if (!listener && listener.error().code == EADDRINUSE) {
    auto spare = doctor::find_free_udp_port(static_cast<std::uint16_t>(port + 1));
    std::string who =
        owner ? fmt::format("interface {}", owner->first) : std::string("another program");
    std::string why = owner ? " (WireGuard answers only authenticated handshakes, so a probe to "
                              "it would go unanswered)"
                            : "";
    if (args.port >= 0 || !spare) {
      std::fprintf(stderr,
                   "wgd doctor listen: UDP %u is in use by %s%s; listen on a spare port: "
                   "wgd doctor listen --port %s\n",
                   port, who.c_str(), why.c_str(), spare ? std::to_string(*spare).c_str() : "PORT");
      return 1;
    }
    say(fmt::format("UDP {} is in use by {}{}: listening on spare port {} instead", port, who, why,
                    *spare));
    doctor::Finding alike = doctor::compare_inbound_ports(doctor::read_firewall(), port, *spare);
    say(fmt::format("{} {}", doctor::severity_tag(alike.severity), alike.text));
    port = *spare;
    listener = doctor::UdpListener::bind(port);
  }
  if (!listener) {
    std::fprintf(stderr, "wgd doctor listen: %s\n", listener.error().message.c_str());
    return 1;
  }
  say(
      fmt::format("listening on UDP {}{}; from the other side run: wgd doctor probe THIS-HOST:{} "
                  "(or: echo hello | nc -u THIS-HOST {})",
                  listener->port(), args.no_reply ? "" : ", answering probes", listener->port(),
                  listener->port()));
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(args.timeout * 1000));
  auto got = listener->run(timeout, args.count, !args.no_reply, [](const doctor::ListenEvent& ev) {
    std::string what;
    if (ev.probe && ev.probe->kind == doctor::ProbeMessage::Kind::kProbe) {
      what = fmt::format("doctor probe #{} (token {})", ev.probe->seq, ev.probe->token);
      if (ev.answered) what += ", answered";
      if (!ev.answer_error.empty()) what += ", answer failed: " + ev.answer_error;
    } else {
      what = fmt::format("\"{}\"", ev.text);
    }
    say(fmt::format("{} {} bytes from {}: {}", clock_text(), ev.size, ev.from.to_string(), what));
  });
  if (!got) {
    std::fprintf(stderr, "wgd doctor listen: %s\n", got.error().message.c_str());
    return 1;
  }
  if (*got == 0) {
    say(
        fmt::format("nothing arrived on UDP {} in {:g} s: if probes were sent, UDP {} is blocked "
                    "on the way to this host (or they went to another address)",
                    listener->port(), args.timeout, listener->port()));
    return 1;
  }
  say(
      fmt::format("{} datagram{} arrived on UDP {}: it is not blocked on the way from those "
                  "sources",
                  *got, *got == 1 ? "" : "s", listener->port()));
  return 0;
}

struct ProbeArgs {
  std::string target;
  int count = 3;
  int interval_ms = 500;
  double wait = 2;
};

int run_probe(const ProbeArgs& args) {
  auto target = doctor::parse_host_port(args.target, kDefaultPort);
  if (!target) {
    std::fprintf(stderr, "wgd doctor probe: %s\n", target.error().message.c_str());
    return 2;
  }
  auto endpoint = doctor::resolve_host_port(*target);
  if (!endpoint) {
    std::fprintf(stderr, "wgd doctor probe: %s\n", endpoint.error().message.c_str());
    return 1;
  }
  say(fmt::format("probing {} on UDP {} with {} probe{}", endpoint->to_string(), endpoint->port,
                  args.count, args.count == 1 ? "" : "s"));
  doctor::ProbeOptions options;
  options.count = args.count;
  options.interval = std::chrono::milliseconds(args.interval_ms);
  options.wait = std::chrono::milliseconds(static_cast<std::int64_t>(args.wait * 1000));
  auto result = doctor::run_probe(*endpoint, options, [](const doctor::ProbeEvent& ev) {
    switch (ev.kind) {
      case doctor::ProbeEvent::Kind::kSent:
        say(fmt::format("  probe #{} sent", ev.seq));
        break;
      case doctor::ProbeEvent::Kind::kAnswered:
        say(fmt::format("  probe #{} answered after {:.3f} ms", ev.seq, ev.rtt_ms));
        break;
      case doctor::ProbeEvent::Kind::kError:
        say(fmt::format("  error after probe #{}: {}", ev.seq, ev.detail));
        break;
    }
  });
  if (!result) {
    std::fprintf(stderr, "wgd doctor probe: %s\n", result.error().message.c_str());
    return 1;
  }
  say(doctor::summarize_probe(*result, target->host));
  return result->answered > 0 ? 0 : 1;
}

}  // namespace

void register_doctor_command(CLI::App& app) {
  auto args = std::make_shared<DoctorArgs>();
  auto* doctor = app.add_subcommand(
      "doctor", "Diagnose interfaces, peers, firewall and forwarding; test UDP reachability");
  doctor->require_subcommand(0, 1);
  doctor->add_option("IFNAME", args->interfaces, "Interfaces to check (default: all)");
  doctor
      ->add_option("--sample", args->sample,
                   "Seconds between two readings of the counters, when a peer's diagnosis "
                   "needs them (0: one reading)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  doctor->add_flag("--gateway", args->gateway,
                   "Peers route other traffic through this host: check forwarding and NAT "
                   "(also implied by ALLOWEDIPS / WGD_CLIENT_ALLOWED_IPS in the environment)");

  auto largs = std::make_shared<ListenArgs>();
  auto* listen = doctor->add_subcommand(
      "listen", "Listen on a UDP port and report every datagram that arrives (like nc -lup)");
  listen
      ->add_option("-p,--port", largs->port,
                   "UDP port (default: the interface's port if free, else a spare one next to "
                   "it; 51820 without interfaces)")
      ->check(CLI::Range(0, 65535));
  listen->add_option("-i,--interface", largs->interface,
                     "Take the default port from this interface");
  listen->add_option("-t,--timeout", largs->timeout, "Stop after this many seconds (0: never)")
      ->check(CLI::Range(0.0, 86400.0));
  listen->add_option("-c,--count", largs->count, "Stop after this many datagrams (0: never)")
      ->check(CLI::NonNegativeNumber);
  listen->add_flag("--no-reply", largs->no_reply, "Do not answer doctor probes");
  listen->callback([largs] { exit_code() = run_listen(*largs); });

  auto pargs = std::make_shared<ProbeArgs>();
  auto* probe = doctor->add_subcommand(
      "probe", "Send UDP probes to HOST:PORT; a `wgd doctor listen` there answers them");
  probe->add_option("TARGET", pargs->target, "HOST:PORT, [IPv6]:PORT or HOST (port 51820)")
      ->required();
  probe->add_option("-c,--count", pargs->count, "Number of probes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  probe->add_option("--interval", pargs->interval_ms, "Milliseconds between probes")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  probe->add_option("-w,--wait", pargs->wait, "Seconds to wait for answers after the last probe")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  probe->callback([pargs] { exit_code() = run_probe(*pargs); });

  // Set after the subcommands exist: CLI11 copies a parent's footer into subcommands made later.
  doctor->footer(
      "Checks every interface with a socket in /var/run/wireguard (or the ones named): the "
      "interface, its UAPI socket and listening port, firewall rules that block it, every peer's "
      "handshake and transfer with a diagnosis, routes, forwarding and NAT. Exit status 1 when a "
      "check fails.\nUDP reachability (seed 000's `nc -lup` recipe): run `wgd doctor listen` on "
      "the server and `wgd doctor probe SERVER:PORT` from the client's network.");
  doctor->callback([listen, probe, args] {
    if (listen->parsed() || probe->parsed()) return;
    exit_code() = run_checks(*args);
  });
}

}  // namespace wgd::cli
