// Provisioning against the real store, PeerService and reconciler (an in-memory interface):
// what PEERS creates, what a second start with the same or changed variables touches, taking
// over a container's /config, and the QR codes (decoded with zbarimg when it is installed).
#include "serve/provision/provisioner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "serve/provision/service_under_test.h"
#include "serve/settings.h"
#include "serve/store/store_error.h"
#include "uapi/wg_quick_config.h"

namespace wgd::serve::provision {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void spill(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Every regular file under the tree with its bytes, and its inode (a rewrite replaces it).
struct Snapshot {
  std::map<std::string, std::string> bytes;
  std::map<std::string, ino_t> inodes;
};
Snapshot snapshot(const fs::path& root) {
  Snapshot s;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.is_symlink()) continue;
    const std::string rel = e.path().lexically_relative(root).string();
    s.bytes[rel] = slurp(e.path());
    struct stat st {};
    ::stat(e.path().c_str(), &st);
    s.inodes[rel] = st.st_ino;
  }
  return s;
}

std::optional<std::string> zbarimg(const fs::path& png) {
  if (std::system("command -v zbarimg >/dev/null 2>&1") != 0) return std::nullopt;
  const std::string out = png.string() + ".decoded";
  const std::string cmd = "zbarimg --nodbus --raw -q -Sbinary '" + png.string() + "' > '" + out + "'";
  if (std::system(cmd.c_str()) != 0) return std::string("(zbarimg failed)");
  auto text = slurp(out);
  fs::remove(out);
  return text;
}

class ProvisionerTest : public ::testing::Test {
 protected:
  ProvisionerTest() : config_(sut_.dir().file("config")) {}

  // The settings as `wgd serve` resolves them from these variables.
  ProvisionSettings settings(std::vector<SettingsInput> env) {
    env.push_back({"WGD_CONFIG_DIR", config_, "env"});
    auto r = resolve_settings(env, {}, sut_.dir().file("absent.conf"));
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->settings.provision : ProvisionSettings{};
  }

  ProvisionReport run(const ProvisionSettings& s, std::string endpoint = "vpn.example.com:51820") {
    ProvisionServer server;
    server.public_key = sut_.public_key();
    server.private_key = &sut_.private_key();
    server.ipv4_address = sut_.ipv4_address();
    server.listen_port = 51820;
    server.endpoint = std::move(endpoint);
    printed_.clear();
    auto r = provision_peers(sut_.service(), s, server, [this](std::string_view t) { printed_ += t; });
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : ProvisionReport{};
  }

  PeerRecord peer(const std::string& name) {
    auto v = sut_.service().get(PeerRef(name));
    EXPECT_TRUE(v) << name << ": " << v.error().message;
    return v ? std::move(v->record) : PeerRecord{};
  }

  std::string file(const std::string& rel) { return slurp(fs::path(config_) / rel); }
  int printed_codes() const {
    int n = 0;
    for (std::size_t at = 0; (at = printed_.find(" QR code (conf file is saved under ", at)) != std::string::npos; ++at) ++n;
    return n;
  }

  testing::ServiceUnderTest sut_;
  std::string config_;
  std::string printed_;
};

const std::vector<SettingsInput> kSeed001 = {
    {"SERVERURL", "downunda.duckdns.org", "env"}, {"SERVERPORT", "51820", "env"},
    {"PEERS", "laptop,phone,tablet", "env"},      {"PEERDNS", "auto", "env"},
    {"ALLOWEDIPS", "0.0.0.0/0", "env"}};

TEST_F(ProvisionerTest, Seed001CreatesTheContainersTree) {
  auto s = settings(kSeed001);
  auto report = run(s, "downunda.duckdns.org:51820");
  EXPECT_EQ(report.created, 3);
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(printed_codes(), 3);  // LOG_CONFS defaults to true, as in the container

  std::set<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(config_)) files.insert(e.path().lexically_relative(config_).string());
  const std::set<std::string> expected = {
      "peer_laptop", "peer_laptop/peer_laptop.conf", "peer_laptop/peer_laptop.png",
      "peer_laptop/privatekey-peer_laptop", "peer_laptop/publickey-peer_laptop",
      "peer_laptop/presharedkey-peer_laptop",
      "peer_phone", "peer_phone/peer_phone.conf", "peer_phone/peer_phone.png",
      "peer_phone/privatekey-peer_phone", "peer_phone/publickey-peer_phone",
      "peer_phone/presharedkey-peer_phone",
      "peer_tablet", "peer_tablet/peer_tablet.conf", "peer_tablet/peer_tablet.png",
      "peer_tablet/privatekey-peer_tablet", "peer_tablet/publickey-peer_tablet",
      "peer_tablet/presharedkey-peer_tablet",
      "server", "server/privatekey-server", "server/publickey-server",
      "wg_confs", "wg_confs/wg0.conf", "wg0.conf"};
  EXPECT_EQ(files, expected);
  EXPECT_EQ(fs::read_symlink(fs::path(config_) / "wg0.conf"), "wg_confs/wg0.conf");

  // Peers from .2 on, in PEERS order; the keys in the files are the store's.
  const char* names[] = {"laptop", "phone", "tablet"};
  for (int i = 0; i < 3; ++i) {
    const PeerRecord r = peer(names[i]);
    const std::string id = std::string("peer_") + names[i];
    EXPECT_EQ(r.managed_by, "provision");
    EXPECT_EQ(r.ipv4->to_string(), "10.13.13." + std::to_string(i + 2));
    EXPECT_FALSE(r.ipv6);
    EXPECT_EQ(file(id + "/privatekey-" + id), crypto::key_to_base64(r.private_key->span()) + "\n");
    EXPECT_EQ(file(id + "/publickey-" + id), crypto::key_to_base64(r.public_key) + "\n");
    EXPECT_EQ(file(id + "/presharedkey-" + id), crypto::key_to_base64(r.preshared_key->span()) + "\n");
    const std::string conf = file(id + "/" + id + ".conf");
    EXPECT_EQ(conf, fmt::format("[Interface]\nAddress = 10.13.13.{}\nPrivateKey = {}\nListenPort = 51820\n"
                                "DNS = 10.13.13.1\n\n[Peer]\nPublicKey = {}\nPresharedKey = {}\n"
                                "Endpoint = downunda.duckdns.org:51820\nAllowedIPs = 0.0.0.0/0\n",
                                i + 2, crypto::key_to_base64(r.private_key->span()),
                                crypto::key_to_base64(sut_.public_key()),
                                crypto::key_to_base64(r.preshared_key->span())));
    EXPECT_TRUE(uapi::parse_wg_quick(conf, id + ".conf"));
    for (const char* f : {".conf", ".png"}) {
      struct stat st {};
      ASSERT_EQ(::stat((fs::path(config_) / id / (id + f)).c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600u) << id << f;
    }
    if (auto decoded = zbarimg(fs::path(config_) / id / (id + ".png"))) {
      EXPECT_EQ(*decoded, conf) << id;
    }
    // The interface carries it.
    EXPECT_TRUE(sut_.device().peer(r.public_key));
  }
  EXPECT_EQ(file("server/privatekey-server"), crypto::key_to_base64(sut_.private_key().span()) + "\n");
  const std::string wg0 = file("wg_confs/wg0.conf");
  EXPECT_TRUE(wg0.starts_with("[Interface]\nAddress = 10.13.13.1\nListenPort = 51820\nPrivateKey = " +
                              crypto::key_to_base64(sut_.private_key().span()) + "\nPostUp = iptables "));
  EXPECT_NE(wg0.find("[Peer]\n# peer_phone\nPublicKey = " + crypto::key_to_base64(peer("phone").public_key) +
                     "\nPresharedKey = " + crypto::key_to_base64(peer("phone").preshared_key->span()) +
                     "\nAllowedIPs = 10.13.13.3/32\n\n"),
            std::string::npos)
      << wg0;
  EXPECT_TRUE(uapi::parse_wg_quick(wg0, "wg0.conf"));
}

TEST_F(ProvisionerTest, ASecondStartWithTheSameVariablesTouchesNothing) {
  auto s = settings(kSeed001);
  run(s);
  const Snapshot before = snapshot(config_);
  auto report = run(s);
  EXPECT_EQ(report.unchanged, 3);
  EXPECT_EQ(report.created + report.updated + report.disabled, 0);
  EXPECT_EQ(report.files_written, 0);
  EXPECT_EQ(printed_codes(), 0);  // as the container: codes only when configs are (re)generated
  const Snapshot after = snapshot(config_);
  EXPECT_EQ(after.bytes, before.bytes);
  EXPECT_EQ(after.inodes, before.inodes);
}

TEST_F(ProvisionerTest, ChangingServerPortRerendersEveryConfigWithTheSameKeys) {
  auto s = settings(kSeed001);
  run(s, "downunda.duckdns.org:51820");
  const Snapshot before = snapshot(config_);
  // SERVERPORT changed: the endpoint every config carries changes; nothing else may.
  auto report = run(s, "downunda.duckdns.org:51620");
  EXPECT_EQ(report.created, 0);
  EXPECT_EQ(report.configs_written, 3);
  EXPECT_EQ(printed_codes(), 3);
  const Snapshot after = snapshot(config_);
  for (const auto& [rel, bytes] : before.bytes) {
    if (rel.ends_with(".conf") && rel.starts_with("peer_")) {
      EXPECT_NE(after.bytes.at(rel).find("Endpoint = downunda.duckdns.org:51620\n"), std::string::npos) << rel;
      std::string old = bytes;
      old.replace(old.find(":51820\n"), 7, ":51620\n");
      EXPECT_EQ(after.bytes.at(rel), old) << rel;  // only the port differs
    } else if (rel.ends_with(".png")) {
      EXPECT_NE(after.bytes.at(rel), bytes) << rel;
    } else {
      EXPECT_EQ(after.bytes.at(rel), bytes) << rel;  // keys, server files, wg0.conf
      EXPECT_EQ(after.inodes.at(rel), before.inodes.at(rel)) << rel;
    }
  }
}

TEST_F(ProvisionerTest, PeerDnsAndAllowedIpsChangesKeepKeysAndReachTheStore) {
  run(settings(kSeed001));
  const PeerRecord before = peer("phone");
  auto env = kSeed001;
  env.push_back({"PEERDNS", "192.168.203.65, 1.1.1.1", "env"});
  env.push_back({"ALLOWEDIPS", "10.13.13.0/24, 192.168.203.0/24", "env"});
  auto report = run(settings(env));
  EXPECT_EQ(report.updated, 3);
  const PeerRecord after = peer("phone");
  EXPECT_EQ(after.public_key, before.public_key);
  EXPECT_EQ(after.ipv4, before.ipv4);
  EXPECT_EQ(after.dns, (std::vector<std::string>{"192.168.203.65", "1.1.1.1"}));
  EXPECT_EQ(after.client_allowed_ips.size(), 2u);
  const std::string conf = file("peer_phone/peer_phone.conf");
  EXPECT_NE(conf.find("\nDNS = 192.168.203.65, 1.1.1.1\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("\nAllowedIPs = 10.13.13.0/24, 192.168.203.0/24\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("PrivateKey = " + crypto::key_to_base64(before.private_key->span())), std::string::npos);
}

TEST_F(ProvisionerTest, AddingANameAddsOnlyThatPeer) {
  run(settings(kSeed001));
  const Snapshot before = snapshot(config_);
  auto env = kSeed001;
  env.push_back({"PEERS", "laptop,phone,tablet,desktop", "env"});
  auto report = run(settings(env));
  EXPECT_EQ(report.created, 1);
  EXPECT_EQ(report.unchanged, 3);
  EXPECT_EQ(printed_codes(), 1);
  EXPECT_EQ(peer("desktop").ipv4->to_string(), "10.13.13.5");
  const Snapshot after = snapshot(config_);
  for (const auto& [rel, bytes] : before.bytes) {
    if (rel == "wg_confs/wg0.conf") continue;  // lists the new peer too
    EXPECT_EQ(after.bytes.at(rel), bytes) << rel;
    EXPECT_EQ(after.inodes.at(rel), before.inodes.at(rel)) << rel;
  }
  EXPECT_TRUE(after.bytes.contains("peer_desktop/peer_desktop.conf"));
  EXPECT_NE(after.bytes.at("wg_confs/wg0.conf").find("# peer_desktop\n"), std::string::npos);
}

TEST_F(ProvisionerTest, RemovingANameDisablesItAndListingItAgainBringsItBack) {
  run(settings(kSeed001));
  const PeerRecord phone = peer("phone");
  const Snapshot before = snapshot(config_);
  auto env = kSeed001;
  env.push_back({"PEERS", "laptop,tablet", "env"});
  auto report = run(settings(env));
  EXPECT_EQ(report.disabled, 1);
  EXPECT_EQ(report.unchanged, 2);
  EXPECT_FALSE(peer("phone").enabled);
  EXPECT_FALSE(sut_.device().peer(phone.public_key));  // off the interface
  EXPECT_TRUE(sut_.device().peer(peer("laptop").public_key));
  const Snapshot after = snapshot(config_);
  for (const auto& [rel, bytes] : before.bytes) {
    if (rel == "wg_confs/wg0.conf") continue;
    EXPECT_EQ(after.bytes.at(rel), bytes) << rel;  // the phone's files stay, the others untouched
  }
  EXPECT_EQ(after.bytes.at("wg_confs/wg0.conf").find("# peer_phone"), std::string::npos);

  report = run(settings(kSeed001));
  EXPECT_EQ(report.enabled, 1);
  const PeerRecord back = peer("phone");
  EXPECT_TRUE(back.enabled);
  EXPECT_EQ(back.public_key, phone.public_key);
  EXPECT_EQ(back.ipv4, phone.ipv4);
  EXPECT_EQ(snapshot(config_).bytes, before.bytes);
}

TEST_F(ProvisionerTest, ANumberNamesPeersAsTheContainerDoes) {
  auto s = settings({{"PEERS", "2", "env"}, {"LOG_CONFS", "false", "env"}});
  auto report = run(s);
  EXPECT_EQ(report.created, 2);
  EXPECT_EQ(printed_codes(), 0);
  for (const char* id : {"peer1", "peer2"}) {
    const std::string p(id);
    for (const std::string& f : {p + ".conf", p + ".png", "privatekey-" + p, "publickey-" + p, "presharedkey-" + p})
      EXPECT_TRUE(fs::exists(fs::path(config_) / p / f)) << p << "/" << f;
    EXPECT_EQ(peer(p).managed_by, "provision");
  }
}

TEST_F(ProvisionerTest, KeepaliveAndSubnetsBehindAPeer) {
  auto env = kSeed001;
  env.push_back({"PERSISTENTKEEPALIVE_PEERS", "laptop", "env"});
  env.push_back({"SERVER_ALLOWEDIPS_PEER_laptop", "192.168.50.0/24", "env"});
  run(settings(env));
  const PeerRecord laptop = peer("laptop");
  EXPECT_EQ(laptop.persistent_keepalive, 25);
  ASSERT_EQ(laptop.extra_allowed_ips.size(), 1u);
  EXPECT_EQ(laptop.extra_allowed_ips[0].to_string(), "192.168.50.0/24");
  EXPECT_FALSE(peer("phone").persistent_keepalive);
  const std::string wg0 = file("wg_confs/wg0.conf");
  EXPECT_NE(wg0.find("AllowedIPs = 10.13.13.2/32,192.168.50.0/24\nPersistentKeepalive = 25\n\n"), std::string::npos) << wg0;
  // The interface routes the subnet to the laptop.
  auto on = sut_.device().peer(laptop.public_key);
  ASSERT_TRUE(on);
  EXPECT_NE(std::find(on->allowed_ips.begin(), on->allowed_ips.end(), *IpPrefix::parse("192.168.50.0/24")),
            on->allowed_ips.end());
}

TEST_F(ProvisionerTest, TakesOverTheKeysAndAddressesTheContainerLeft) {
  // What linuxserver/wireguard leaves: keys, a config with Address, the server's key.
  const crypto::PrivateKey old_key = crypto::x25519_generate();
  crypto::PresharedKey old_psk;
  old_psk.span()[0] = 7;
  const fs::path dir = fs::path(config_) / "peer_phone";
  spill(dir / "privatekey-peer_phone", crypto::key_to_base64(old_key.span()) + "\n");
  spill(dir / "presharedkey-peer_phone", crypto::key_to_base64(old_psk.span()) + "\n");
  spill(dir / "peer_phone.conf", "[Interface]\nAddress = 10.13.13.9\nPrivateKey = x\n");
  auto report = run(settings(kSeed001));
  EXPECT_EQ(report.created, 3);
  EXPECT_EQ(report.adopted, 1);
  const PeerRecord phone = peer("phone");
  EXPECT_EQ(phone.public_key, crypto::x25519_public(old_key));
  EXPECT_EQ(phone.ipv4->to_string(), "10.13.13.9");
  EXPECT_EQ(crypto::key_to_base64(phone.preshared_key->span()), crypto::key_to_base64(old_psk.span()));
  EXPECT_EQ(peer("laptop").ipv4->to_string(), "10.13.13.2");

  // A key file that holds no key is not overwritten: that peer fails, the others go on.
  spill(fs::path(config_) / "peer_desk" / "privatekey-peer_desk", "not a key\n");
  auto env = kSeed001;
  env.push_back({"PEERS", "laptop,phone,tablet,desk", "env"});
  report = run(settings(env));
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].find("privatekey-peer_desk does not hold a WireGuard key"), std::string::npos);
  EXPECT_EQ(report.errors[0].find("not a key"), std::string::npos);  // never the contents
  EXPECT_EQ(file("peer_desk/privatekey-peer_desk"), "not a key\n");
}

TEST_F(ProvisionerTest, ANameTakenByAnotherManagerIsReportedAndTheRestGoesOn) {
  NewPeer mine;
  mine.name = "phone";
  ASSERT_TRUE(sut_.service().create(std::move(mine)));  // managed_by "api"
  auto report = run(settings(kSeed001));
  EXPECT_EQ(report.created, 2);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].find("managed by 'api'"), std::string::npos);
  EXPECT_EQ(peer("phone").managed_by, "api");
  EXPECT_FALSE(fs::exists(fs::path(config_) / "peer_phone"));
  EXPECT_EQ(file("wg_confs/wg0.conf").find("peer_phone"), std::string::npos);
}

TEST_F(ProvisionerTest, ANewInternalSubnetRenumbersKeepingHostParts) {
  run(settings(kSeed001));
  const PeerRecord tablet = peer("tablet");
  sut_.restart("10.14.0.1/24");  // INTERNAL_SUBNET=10.14.0.0
  run(settings(kSeed001));
  const PeerRecord moved = peer("tablet");
  EXPECT_EQ(moved.ipv4->to_string(), "10.14.0.4");
  EXPECT_EQ(moved.public_key, tablet.public_key);
  EXPECT_NE(file("peer_tablet/peer_tablet.conf").find("Address = 10.14.0.4\nPrivateKey = " +
                                                      crypto::key_to_base64(tablet.private_key->span())),
            std::string::npos);
  EXPECT_NE(file("peer_tablet/peer_tablet.conf").find("DNS = 10.14.0.1\n"), std::string::npos);
}

TEST_F(ProvisionerTest, NoEndpointMeansNoEndpointLine) {
  run(settings(kSeed001), "");
  EXPECT_EQ(file("peer_laptop/peer_laptop.conf").find("Endpoint"), std::string::npos);
  EXPECT_TRUE(uapi::parse_wg_quick(file("peer_laptop/peer_laptop.conf"), "x"));
}

}  // namespace
}  // namespace wgd::serve::provision
