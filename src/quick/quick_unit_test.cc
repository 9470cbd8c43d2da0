// No root: locating and reading wg-quick files, running programs and hooks, DNS through fake
// resolvconf/resolvectl scripts in a temporary PATH directory.
#include <gtest/gtest.h>

#include "quick/config_location.h"
#include "quick/dns.h"
#include "quick/hooks.h"
#include "quick/process.h"
#include "quick/quick_test_util.h"

namespace wgd::quick {
namespace {

using testing::read_file;
using testing::ScopedPath;
using testing::TempDir;
using testing::write_file;
using testing::write_script;

// ---- config_location ----

TEST(ConfigLocation, NameMeansConfigDirNameConf) {
  TempDir dir;
  write_file(dir.file("wg-x_1.conf"), "[Interface]\n");
  auto loc = locate_config("wg-x_1", dir.path());
  ASSERT_TRUE(loc) << loc.error().message;
  EXPECT_EQ(loc->interface, "wg-x_1");
  EXPECT_EQ(loc->path, dir.file("wg-x_1.conf"));

  auto missing = locate_config("wg9", dir.path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "`" + dir.file("wg9.conf") + "' does not exist");
}

TEST(ConfigLocation, PathsNeedAnInterfaceNameDotConf) {
  TempDir dir;
  write_file(dir.file("vpn.conf"), "[Interface]\n");
  write_file(dir.file("far-too-long-name0.conf"), "[Interface]\n");
  write_file(dir.file("wg0.config"), "[Interface]\n");
  write_file(dir.file("..conf"), "[Interface]\n");
  auto ok = locate_config(dir.file("vpn.conf"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->interface, "vpn");
  for (auto bad : {"far-too-long-name0.conf", "wg0.config"}) {
    auto r = locate_config(dir.file(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message,
              "The config file must be a valid interface name, followed by .conf");
  }
  auto dots = locate_config(dir.file("..conf"));
  ASSERT_FALSE(dots);
  EXPECT_NE(dots.error().message.find("cannot be an interface name"), std::string::npos);
}

TEST(ConfigLocation, NameComesFromTheLinkAndPathFromItsTarget) {
  TempDir dir;
  write_file(dir.file("real.conf"), "[Interface]\n");
  ASSERT_EQ(::symlink(dir.file("real.conf").c_str(), dir.file("wgq7.conf").c_str()), 0);
  auto loc = locate_config(dir.file("wgq7.conf"));
  ASSERT_TRUE(loc) << loc.error().message;
  EXPECT_EQ(loc->interface, "wgq7");  // as wg-quick: BASH_REMATCH on the path before readlink
  EXPECT_EQ(loc->path, dir.file("real.conf"));
}

TEST(ConfigLocation, WorldAccessibleWarning) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  write_file(dir.file("a.conf"), "", 0644);
  write_file(dir.file("b.conf"), "", 0600);
  EXPECT_EQ(world_accessible_warning(dir.file("a.conf")),
            "Warning: `" + dir.file("a.conf") + "' is world accessible");
  EXPECT_EQ(world_accessible_warning(dir.file("b.conf")), std::nullopt);
  ::chmod(dir.path().c_str(), 0700);  // a private directory covers a readable file (wg-quick's &)
  EXPECT_EQ(world_accessible_warning(dir.file("a.conf")), std::nullopt);
}

TEST(ConfigLocation, ParseErrorsNameFileLineAndKey) {
  TempDir dir;
  write_file(dir.file("wgq8.conf"),
             "[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
             "Address = 10.0.0.1/24\n\n[Peer]\nPublicKey = "
             "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\nAllowedIPs = 10.0.0.0/33\n");
  auto loc = locate_config(dir.file("wgq8.conf"));
  ASSERT_TRUE(loc);
  auto config = read_config(*loc);
  ASSERT_FALSE(config);
  EXPECT_TRUE(config.error().message.starts_with(dir.file("wgq8.conf") + ":7: AllowedIPs: "))
      << config.error().message;
}

// ---- process ----

TEST(Process, FeedsStdinAndCapturesBothStreams) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "tr a-z A-Z; echo oops >&2; exit 3"};
  spec.stdin_text = "hello\n";
  spec.capture_stdout = spec.capture_stderr = true;
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_status, 3);
  EXPECT_EQ(r->out, "HELLO\n");
  EXPECT_EQ(r->err, "oops\n");
}

TEST(Process, LargeStdinToAChildThatStopsReadingDoesNotKillUs) {
  ProcessSpec spec;
  spec.argv = {"head", "-c", "10"};
  spec.stdin_text = std::string(4 << 20, 'x');
  spec.capture_stdout = true;
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, std::string(10, 'x'));
}

TEST(Process, EnvironmentAndSignalsAndMissingPrograms) {
  ::setenv("WGD_QUICK_TEST_A", "a", 1);
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "echo \"${WGD_QUICK_TEST_A-unset}:$WGD_QUICK_TEST_B\"; kill -9 $$"};
  spec.set_env = {"WGD_QUICK_TEST_B=b"};
  spec.unset_env = {"WGD_QUICK_TEST_A"};
  spec.capture_stdout = true;
  auto r = run_process(spec);
  ::unsetenv("WGD_QUICK_TEST_A");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "unset:b\n");
  EXPECT_EQ(r->exit_status, 128 + 9);
  EXPECT_EQ(describe_exit(r->exit_status), "was killed by signal 9");

  auto missing = run_process({.argv = {"wgd-no-such-program-here"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "wgd-no-such-program-here: command not found");
  EXPECT_EQ(find_in_path("wgd-no-such-program-here"), std::nullopt);
  EXPECT_TRUE(find_in_path("sh"));
}

// ---- hooks ----

TEST(Hooks, ExpandEveryPercentI) {
  EXPECT_EQ(expand_hook("iptables -A FORWARD -i %i -o %i; echo %%i %", "wg0"),
            "iptables -A FORWARD -i wg0 -o wg0; echo %wg0 %");
}

TEST(Hooks, RunInOrderWithErrexitAndStopAtTheFirstFailure) {
  TempDir dir;
  const std::string log_file = dir.file("log");
  std::vector<std::string> printed;
  StepLog log([&](std::string_view l) { printed.emplace_back(l); });
  std::vector<std::string> hooks = {"echo one %i >> " + log_file,
                                    "echo two %i >> " + log_file + "; [ -n \"$LC_ALL\" ]",
                                    "false; echo not-reached >> " + log_file,
                                    "echo three >> " + log_file};
  auto r = run_hooks("PostUp", hooks, "wgq3", log);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "PostUp hook 3 of 4 exited with status 1");
  EXPECT_EQ(read_file(log_file), "one wgq3\ntwo wgq3\n");
  ASSERT_EQ(printed.size(), 3u);
  EXPECT_EQ(printed[0], "[#] echo one wgq3 >> " + log_file);
  EXPECT_EQ(printed[2], "[#] false; echo not-reached >> " + log_file);

  EXPECT_TRUE(run_hooks("PreUp", std::vector<std::string>{}, "wgq3", log));
}

// ---- DNS ----

uapi::WgQuickInterface dns_interface() {
  uapi::WgQuickInterface itf;
  itf.dns_servers = {*IpAddress::parse("192.0.2.53"), *IpAddress::parse("2001:db8::53")};
  itf.dns_search = {"example.com", "corp.example"};
  return itf;
}

TEST(Dns, ResolvconfGetsWgQuicksArgumentsAndText) {
  TempDir bin;
  const std::string record = bin.file("record");
  write_script(bin.file("resolvconf"),
               "echo \"$*\" >> " + record + "\ncase \"$1\" in -a) cat >> " + record +
                   ";; -l) printf 'nameserver 192.0.2.53\\nsearch example.com\\n';; esac\n");
  ScopedPath path(bin.path());
  DnsEnvironment env;
  env.interface_order = bin.file("no-interface-order");
  auto plan = plan_dns(dns_interface(), "wgq4", env);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->backend, DnsPlan::Backend::kResolvconf);
  EXPECT_EQ(plan->key, "wgq4");
  std::vector<std::string> printed;
  StepLog log([&](std::string_view l) { printed.emplace_back(l); });
  ASSERT_TRUE(set_dns(*plan, log));
  ASSERT_TRUE(unset_dns(*plan, false, log));
  EXPECT_EQ(read_file(record),
            "-a wgq4 -m 0 -x\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n"
            "search example.com corp.example\n-d wgq4 -f\n");
  EXPECT_EQ(printed, (std::vector<std::string>{"[#] resolvconf -a wgq4 -m 0 -x",
                                               "[#] resolvconf -d wgq4 -f"}));
  EXPECT_EQ(dns_to_save(*plan, env), (std::vector<std::string>{"192.0.2.53", "example.com"}));
}

TEST(Dns, InterfaceOrderPrefixUnlessResolvconfIsALink) {
  TempDir dir;
  write_file(dir.file("interface-order"), "lo.inet*\nlo.dnsmasq\ntun*\ntap*\nhso*\n");
  write_script(dir.file("resolvconf"), "exit 0\n");
  ::symlink(dir.file("resolvconf").c_str(), dir.file("resolvconf-link").c_str());
  DnsEnvironment env;
  env.interface_order = dir.file("interface-order");
  EXPECT_EQ(resolvconf_interface_prefix(dir.file("resolvconf"), env), "tun.");
  EXPECT_EQ(resolvconf_interface_prefix(dir.file("resolvconf-link"), env), "");
  env.interface_order = dir.file("absent");
  EXPECT_EQ(resolvconf_interface_prefix(dir.file("resolvconf"), env), "");
}

TEST(Dns, ResolvectlWhenResolvconfIsMissingAndResolvedRuns) {
  TempDir bin;
  const std::string record = bin.file("record");
  write_script(bin.file("resolvectl"), "echo \"$*\" >> " + record + "\n");
  write_file(bin.file("resolved-socket"), "");
  ScopedPath path(bin.path(), /*prepend=*/false);  // nothing else: no resolvconf
  DnsEnvironment env;
  env.resolved_socket = bin.file("resolved-socket");
  auto plan = plan_dns(dns_interface(), "wgq4", env);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->backend, DnsPlan::Backend::kResolvectl);
  StepLog log([](std::string_view) {});
  ASSERT_TRUE(set_dns(*plan, log));
  ASSERT_TRUE(unset_dns(*plan, true, log));
  ASSERT_TRUE(unset_dns(*plan, false, log));  // link gone: resolved forgot it already
  EXPECT_EQ(read_file(record),
            "dns wgq4 192.0.2.53 2001:db8::53\ndomain wgq4 example.com corp.example ~.\n"
            "revert wgq4\n");
  // Nothing reported by resolvconf: the file's own entries are kept.
  EXPECT_EQ(dns_to_save(*plan, env), (std::vector<std::string>{"192.0.2.53", "2001:db8::53",
                                                                "example.com", "corp.example"}));
}

TEST(Dns, NeitherToolIsAClearErrorButNoServersNeedsNone) {
  TempDir bin;
  write_script(bin.file("resolvectl"), "exit 0\n");
  ScopedPath path(bin.path(), /*prepend=*/false);
  DnsEnvironment env;
  env.resolved_socket = bin.file("not-running");
  auto plan = plan_dns(dns_interface(), "wgq4", env);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("openresolv or resolvconf"), std::string::npos);
  EXPECT_NE(plan.error().message.find("192.0.2.53, 2001:db8::53"), std::string::npos);

  uapi::WgQuickInterface search_only;
  search_only.dns_search = {"example.com"};
  auto none = plan_dns(search_only, "wgq4", env);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->backend, DnsPlan::Backend::kNone);
}

TEST(Dns, AFailingResolvconfIsAnError) {
  TempDir bin;
  write_script(bin.file("resolvconf"), "cat > /dev/null; exit 2\n");
  ScopedPath path(bin.path());
  DnsEnvironment env;
  env.interface_order = bin.file("none");
  auto plan = plan_dns(dns_interface(), "wgq4", env);
  ASSERT_TRUE(plan);
  auto r = set_dns(*plan, StepLog([](std::string_view) {}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "`resolvconf -a wgq4 -m 0 -x' exited with status 2");
}

}  // namespace
}  // namespace wgd::quick
