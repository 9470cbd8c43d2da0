#include "quick/dns.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "quick/process.h"

namespace wgd::quick {
namespace {

std::string join(const std::vector<std::string>& words, std::string_view sep = " ") {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += sep;
    out += w;
  }
  return out;
}

bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// wg-quick's pattern for a nameserver line it keeps: ^nameserver\ ([a-zA-Z0-9_=+:%.-]+)$
bool nameserver_word(std::string_view w) {
  if (w.empty()) return false;
  for (char c : w) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '=' || c == '+' || c == ':' || c == '%' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> parse_resolv_conf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("nameserver ")) {
      std::string_view w = std::string_view(line).substr(11);
      if (nameserver_word(w)) out.emplace_back(w);
    } else if (line.starts_with("search ")) {
      std::istringstream words(line.substr(7));
      std::string w;
      while (words >> w) out.push_back(w);
    }
  }
  return out;
}

}  // namespace

std::string resolvconf_interface_prefix(const std::string& resolvconf_program,
                                        const DnsEnvironment& env) {
  if (!exists(env.interface_order) || is_symlink(resolvconf_program)) return {};
  std::ifstream in(env.interface_order);
  std::string line;
  while (std::getline(in, line)) {
    // ^([A-Za-z0-9-]+)\*$
    if (line.size() < 2 || line.back() != '*') continue;
    std::string_view name = std::string_view(line).substr(0, line.size() - 1);
    bool ok = true;
    for (char c : name)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-');
    if (ok) return std::string(name) + ".";
  }
  return {};
}

Result<DnsPlan> plan_dns(const uapi::WgQuickInterface& itf, std::string_view interface,
                         const DnsEnvironment& env) {
  DnsPlan plan;
  plan.interface = std::string(interface);
  for (const auto& s : itf.dns_servers) plan.servers.push_back(s.to_string());
  plan.search = itf.dns_search;
  if (plan.servers.empty()) return plan;  // wg-quick: [[ ${#DNS[@]} -gt 0 ]] || return 0
  if (auto resolvconf = find_in_path("resolvconf")) {
    plan.backend = DnsPlan::Backend::kResolvconf;
    plan.program = *resolvconf;
    plan.key = resolvconf_interface_prefix(*resolvconf, env) + plan.interface;
    return plan;
  }
  if (auto resolvectl = find_in_path("resolvectl"); resolvectl && exists(env.resolved_socket)) {
    plan.backend = DnsPlan::Backend::kResolvectl;
    plan.program = *resolvectl;
    plan.key = plan.interface;
    return plan;
  }
  return failf(
      "DNS = {}: setting DNS servers needs resolvconf(8) (install the openresolv or resolvconf "
      "package) or a running systemd-resolved with resolvectl; neither was found",
      join(plan.servers, ", "));
}

std::string resolvconf_text(const DnsPlan& plan) {
  std::string text;
  for (const auto& s : plan.servers) text += "nameserver " + s + "\n";
  if (!plan.search.empty()) text += "search " + join(plan.search) + "\n";
  return text;
}

namespace {

Result<void> run_logged(const StepLog& log, std::vector<std::string> argv,
                        std::optional<std::string> stdin_text, std::string shown) {
  log.step(shown);
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_text = std::move(stdin_text);
  auto r = run_process(spec);
  if (!r) return std::unexpected(r.error());
  if (r->exit_status != 0) return failf("`{}' {}", shown, describe_exit(r->exit_status));
  return {};
}

}  // namespace

Result<void> set_dns(const DnsPlan& plan, const StepLog& log) {
  switch (plan.backend) {
    case DnsPlan::Backend::kNone:
      return {};
    case DnsPlan::Backend::kResolvconf:
      return run_logged(log, {plan.program, "-a", plan.key, "-m", "0", "-x"},
                        resolvconf_text(plan), "resolvconf -a " + plan.key + " -m 0 -x");
    case DnsPlan::Backend::kResolvectl: {
      std::vector<std::string> dns = {plan.program, "dns", plan.interface};
      dns.insert(dns.end(), plan.servers.begin(), plan.servers.end());
      if (auto r = run_logged(log, dns, std::nullopt,
                              "resolvectl dns " + plan.interface + " " + join(plan.servers));
          !r)
        return r;
      std::vector<std::string> domains = plan.search;
      domains.push_back("~.");
      std::vector<std::string> domain = {plan.program, "domain", plan.interface};
      domain.insert(domain.end(), domains.begin(), domains.end());
      return run_logged(log, domain, std::nullopt,
                        "resolvectl domain " + plan.interface + " " + join(domains));
    }
  }
  return {};
}

Result<void> unset_dns(const DnsPlan& plan, bool link_exists, const StepLog& log) {
  switch (plan.backend) {
    case DnsPlan::Backend::kNone:
      return {};
    case DnsPlan::Backend::kResolvconf:
      return run_logged(log, {plan.program, "-d", plan.key, "-f"}, std::nullopt,
                        "resolvconf -d " + plan.key + " -f");
    case DnsPlan::Backend::kResolvectl:
      if (!link_exists) return {};
      return run_logged(log, {plan.program, "revert", plan.interface}, std::nullopt,
                        "resolvectl revert " + plan.interface);
  }
  return {};
}

std::vector<std::string> dns_to_save(const DnsPlan& plan, const DnsEnvironment& env) {
  std::vector<std::string> reported;
  if (plan.backend == DnsPlan::Backend::kResolvconf) {
    ProcessSpec spec;
    spec.argv = {plan.program, "-l", plan.key};
    spec.capture_stdout = true;
    spec.capture_stderr = true;
    auto r = run_process(spec);
    if (r && r->exit_status == 0) {
      reported = parse_resolv_conf(r->out);
    } else {
      std::ifstream in(env.resolvconf_run_dir + "/" + plan.key);
      if (in) {
        std::stringstream text;
        text << in.rdbuf();
        reported = parse_resolv_conf(text.str());
      }
    }
  }
  if (!reported.empty()) return reported;
  std::vector<std::string> own = plan.servers;
  own.insert(own.end(), plan.search.begin(), plan.search.end());
  return own;
}

}  // namespace wgd::quick
