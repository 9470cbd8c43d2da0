// Our text against wg-quick's own code: the functions are cut out of the installed
// /usr/bin/wg-quick (wireguard-tools) and run by bash with the system commands they call
// replaced by stubs, so each comparison is with what wg-quick really computes, not with our
// reading of it. No root needed.
#include <gtest/gtest.h>

#include <random>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "quick/firewall.h"
#include "quick/process.h"
#include "quick/quick_test_util.h"
#include "quick/routes.h"
#include "quick/save_config.h"
#include "uapi/showconf.h"
#include "uapi/wg_show.h"

namespace wgd::quick {
namespace {

using testing::TempDir;

constexpr const char* kWgQuick = "/usr/bin/wg-quick";

// bash -c SCRIPT; its stdout. Fails the test when bash fails.
std::string bash(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"bash", "-c", script};
  spec.capture_stdout = true;
  spec.capture_stderr = true;
  spec.set_env = {"LC_ALL=C"};
  auto r = run_process(spec);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  if (!r) return {};
  EXPECT_EQ(r->exit_status, 0) << r->err;
  return r->out;
}

// The text of one wg-quick function, for `eval`.
std::string wg_quick_function(const std::string& name) {
  EXPECT_EQ(::access(kWgQuick, R_OK), 0) << kWgQuick << " is missing: install wireguard-tools";
  return bash(fmt::format("sed -n '/^{}() {{/,/^}}/p' {}", name, kWgQuick));
}

std::string single_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

crypto::PublicKey random_public() {
  crypto::PrivateKey k = crypto::x25519_generate();
  return crypto::x25519_public(k);
}

// ---- add_default's firewall rules ----

// Runs wg-quick's add_default for PREFIX on interface IF with table TABLE, with `ip -o addr`
// answering ADDRESSES, and prints what it hands to nft (have_nft) or to *tables-restore.
std::string wg_quick_firewall(const std::string& ifname, const std::string& prefix,
                              std::uint32_t table, const std::vector<std::string>& addr_lines,
                              bool have_nft) {
  std::string ip_out;
  for (const auto& l : addr_lines) ip_out += l + "\n";
  std::string script = wg_quick_function("add_default") + "\n";
  script += fmt::format("INTERFACE={}\n", ifname);
  script += fmt::format("get_fwmark() {{ printf -v \"$1\" %d {}; }}\n", table);
  script += "ip() { [[ $1 == -o ]] && printf '%s' " + single_quoted(ip_out) + "; return 0; }\n";
  script += std::string("type() { [[ $2 == nft ]] && return ") + (have_nft ? "0" : "1") +
            "; return 0; }\n";
  script += "sysctl() { echo 0; }\n";
  script += "cmd() { case $1 in nft) cat \"$3\";; *-restore) cat;; esac; }\n";
  script += "add_default " + prefix + "\n";
  return bash(script);
}

TEST(WgQuickParity, NftRulesForIpv4DefaultRoute) {
  std::vector<IpAddress> addrs = {*IpAddress::parse("10.9.0.2"), *IpAddress::parse("10.9.1.7")};
  auto expected = wg_quick_firewall(
      "wgq0", "0.0.0.0/0", 51820,
      {"9: wgq0    inet 10.9.0.2/24 scope global wgq0\\       valid_lft forever",
       "9: wgq0    inet 10.9.1.7/32 scope global wgq0\\       valid_lft forever"},
      true);
  EXPECT_EQ(nft_default_route_script("wgq0", IpAddress::Family::kV4, 51820, addrs), expected);
}

TEST(WgQuickParity, NftRulesForIpv6DefaultRoute) {
  std::vector<IpAddress> addrs = {*IpAddress::parse("fd00:9::2")};
  auto expected = wg_quick_firewall(
      "wgq1", "::/0", 51821,
      {"9: wgq1    inet6 fd00:9::2/64 scope global \\       valid_lft forever"}, true);
  EXPECT_EQ(nft_default_route_script("wgq1", IpAddress::Family::kV6, 51821, addrs), expected);
}

TEST(WgQuickParity, IptablesRulesForBothFamilies) {
  std::vector<IpAddress> v4 = {*IpAddress::parse("10.9.0.2")};
  std::vector<IpAddress> v6 = {*IpAddress::parse("fd00:9::2"), *IpAddress::parse("fd00:9::3")};
  EXPECT_EQ(iptables_default_route_script("wg-x.1", 51820, v4),
            wg_quick_firewall("wg-x.1", "0.0.0.0/0", 51820,
                              {"9: wg-x.1    inet 10.9.0.2/32 scope global wg-x.1"}, false));
  EXPECT_EQ(iptables_default_route_script("wg-x.1", 51820, v6),
            wg_quick_firewall("wg-x.1", "::/0", 51820,
                              {"9: wg-x.1    inet6 fd00:9::2/128 scope global",
                               "9: wg-x.1    inet6 fd00:9::3/128 scope global"},
                              false));
  // No address at all: only the mangle rules.
  EXPECT_EQ(iptables_default_route_script("wgq2", 7, {}),
            wg_quick_firewall("wgq2", "0.0.0.0/0", 7, {}, false));
}

// remove_firewall with iptables-save answering SAVE (for both families) and no nft: what it
// feeds to iptables-restore -n.
std::string wg_quick_removal(const std::string& ifname, const std::string& save) {
  std::string script = wg_quick_function("remove_firewall") + "\n";
  script += fmt::format("INTERFACE={}\n", ifname);
  script += "type() { [[ $2 == nft ]] && return 1; return 0; }\n";
  script += "iptables-save() { printf '%s' " + single_quoted(save) + "; }\n";
  script += "ip6tables-save() { :; }\n";
  script += "cmd() { cat; }\n";
  script += "remove_firewall\n";
  return bash(script);
}

TEST(WgQuickParity, IptablesRemovalTouchesOnlyThisInterfacesRules) {
  const std::string save =
      "# Generated by iptables-save v1.8.9 (nf_tables) on Sat Nov 22 03:14:00 2025\n"
      "*raw\n"
      ":PREROUTING ACCEPT [0:0]\n"
      ":OUTPUT ACCEPT [0:0]\n"
      "-A PREROUTING -d 10.9.0.2/32 ! -i wgq0 -m addrtype ! --src-type LOCAL -m comment "
      "--comment \"wg-quick(8) rule for wgq0\" -j DROP\n"
      "-A PREROUTING -d 10.8.0.2/32 ! -i wgq01 -m addrtype ! --src-type LOCAL -m comment "
      "--comment \"wg-quick(8) rule for wgq01\" -j DROP\n"
      "-A PREROUTING -s 192.0.2.7/32 -j DROP\n"
      "COMMIT\n"
      "# Completed on Sat Nov 22 03:14:00 2025\n"
      "*mangle\n"
      ":PREROUTING ACCEPT [0:0]\n"
      "-A PREROUTING -p udp -m comment --comment \"wg-quick(8) rule for wgq0\" -j CONNMARK "
      "--restore-mark --nfmask 0xffffffff --ctmask 0xffffffff\n"
      "-A POSTROUTING -p udp -m mark --mark 0xca6c -m comment --comment \"wg-quick(8) rule for "
      "wgq0\" -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff\n"
      "COMMIT\n"
      "*filter\n"
      ":INPUT ACCEPT [0:0]\n"
      "-A INPUT -i wgq0 -j ACCEPT\n"
      "COMMIT\n";
  std::string ours = iptables_removal_script(save, "wgq0");
  EXPECT_EQ(ours, wg_quick_removal("wgq0", save));
  EXPECT_NE(ours.find("-D PREROUTING -d 10.9.0.2/32"), std::string::npos);
  EXPECT_EQ(ours.find("wgq01"), std::string::npos);
  EXPECT_EQ(ours.find("192.0.2.7"), std::string::npos);
  EXPECT_EQ(ours.find("-A INPUT"), std::string::npos);
  // Nothing of ours: nothing to run (wg-quick then does not call iptables-restore at all).
  EXPECT_EQ(iptables_removal_script(save, "wgq9"), "");
  EXPECT_EQ(wg_quick_removal("wgq9", save), "");
}

// ---- the order routes are added in ----

TEST(WgQuickParity, RouteOrderIsSortNrK2) {
  std::mt19937 rng(20251122);
  for (int round = 0; round < 20; ++round) {
    wg::DeviceStatus status;
    for (int p = 0; p < 3; ++p) {
      wg::PeerStatus peer;
      peer.public_key = random_public();
      int n = static_cast<int>(rng() % 6);
      for (int i = 0; i < n; ++i) {
        IpPrefix prefix;
        if (rng() % 2) {
          prefix.address = IpAddress::v4(static_cast<std::uint32_t>(rng()));
          prefix.length = static_cast<int>(rng() % 33);
        } else {
          std::array<std::uint8_t, 16> b{};
          for (auto& x : b) x = static_cast<std::uint8_t>(rng() % 3 == 0 ? rng() : 0);
          prefix.address = IpAddress::v6(b);
          prefix.length = static_cast<int>(rng() % 129);
        }
        prefix = prefix.canonical();
        bool dup = false;
        for (const auto& q : status.peers)
          for (const auto& a : q.allowed_ips) dup = dup || a == prefix;
        for (const auto& a : peer.allowed_ips) dup = dup || a == prefix;
        if (!dup) peer.allowed_ips.push_back(prefix);
      }
      status.peers.push_back(std::move(peer));
    }
    // wg-quick's pipeline over `wg show IF allowed-ips`.
    std::string shown = uapi::render_show_field("wgq0", status, uapi::ShowField::kAllowedIps);
    std::string expected = bash(
        "while read -r _ i; do for i in $i; do [[ $i =~ ^[0-9a-z:.]+/[0-9]+$ ]] && echo \"$i\"; "
        "done; done <<< " +
        single_quoted(shown) + " | sort -nr -k 2 -t /");
    std::string ours;
    for (const auto& p : allowed_ips_in_route_order(status)) ours += uapi::format_prefix(p) + "\n";
    EXPECT_EQ(ours, expected) << shown;
  }
}

// ---- SaveConfig ----

TEST(WgQuickParity, SavedFileIsWgQuicksSaveConfig) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.file("wgq5.conf");

  uapi::WgQuickInterface file;
  file.mtu = 1380;
  file.table = uapi::RouteTable{uapi::RouteTable::Kind::kNumber, 1234, ""};
  file.save_config = true;
  file.pre_up = {"echo pre %i > /dev/null"};
  file.post_up = {"iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j "
                  "MASQUERADE # keep this comment"};
  file.pre_down = {"true"};
  file.post_down = {"iptables -D FORWARD -i %i -j ACCEPT", "echo done"};

  SavedInterfaceState now;
  now.addresses = {*IpPrefix::parse("10.9.0.2/24"), *IpPrefix::parse("10.9.7.1/32"),
                   *IpPrefix::parse("fd00:9::2/64")};
  now.dns = {"192.0.2.53", "2001:db8::53"};
  now.link_mtu = 1380;

  wg::DeviceStatus status;
  status.private_key = crypto::x25519_generate();
  status.public_key = crypto::x25519_public(*status.private_key);
  status.listen_port = 51820;
  status.fwmark = 0xca6c;
  for (int i = 0; i < 2; ++i) {
    wg::PeerStatus p;
    p.public_key = random_public();
    p.allowed_ips = {*IpPrefix::parse(i ? "0.0.0.0/0" : "10.9.0.0/24")};
    p.endpoint = Endpoint::parse(i ? "[2001:db8::1]:51820" : "192.0.2.1:51821");
    p.persistent_keepalive = static_cast<std::uint16_t>(25 * i);
    if (i) p.preshared_key = crypto::x25519_generate();
    status.peers.push_back(std::move(p));
  }
  std::string showconf = uapi::render_showconf(status);

  std::string script = wg_quick_function("save_config") + "\n";
  script += fmt::format("INTERFACE=wgq5\nCONFIG_FILE={}\nMTU=1380\nTABLE=1234\nSAVE_CONFIG=1\n", path);
  auto array = [](const std::vector<std::string>& v) {
    std::string s = "( ";
    for (const auto& x : v) s += single_quoted(x) + " ";
    return s + ")";
  };
  script += "PRE_UP=" + array(file.pre_up) + "\nPOST_UP=" + array(file.post_up) +
            "\nPRE_DOWN=" + array(file.pre_down) + "\nPOST_DOWN=" + array(file.post_down) + "\n";
  script +=
      "ip() { case \"$*\" in\n"
      "  *-brief*) echo 'wgq5             UNKNOWN        10.9.0.2/24 10.9.7.1/32 fd00:9::2/64 ';;\n"
      "  'link show dev wgq5') echo '9: wgq5: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1380 qdisc fq';;\n"
      "esac; }\n"
      "resolvconf() { printf 'nameserver 192.0.2.53\\nnameserver 2001:db8::53\\n'; }\n"
      "cmd() { printf '%s' " + single_quoted(showconf) + "; }\n"
      "save_config\n";
  bash(script);
  const std::string expected = testing::read_file(path);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(render_saved_config(file, now, status), expected);
}

TEST(SaveConfig, WritesAtomicallyWithMode0600) {
  TempDir dir;
  const std::string path = dir.file("wgq6.conf");
  testing::write_file(path, "old\n", 0644);
  testing::write_file(path + ".tmp", "stale\n", 0644);  // left by an earlier crash
  ASSERT_TRUE(write_file_atomically(path, "[Interface]\nPrivateKey = x\n"));
  EXPECT_EQ(testing::read_file(path), "[Interface]\nPrivateKey = x\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);
  // A directory that cannot hold the file: an error naming it, the old file untouched.
  auto bad = write_file_atomically(dir.file("missing/wgq6.conf"), "x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("missing/wgq6.conf.tmp"), std::string::npos);
}

}  // namespace
}  // namespace wgd::quick
