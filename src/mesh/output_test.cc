// write_mesh and generate_mesh on real files in a temporary directory.
#include "mesh/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "crypto/key_codec.h"
#include "mesh/file_io.h"
#include "mesh/mesh.h"
#include "mesh/mesh_test_support.h"
#include "uapi/wg_quick_config.h"

namespace wgd::mesh {
namespace {

using ::testing::HasSubstr;
using test::kSeedInventory;
using test::no_random;
using test::read_text;
using test::ScriptedRandom;
using test::TempDir;
using test::write_text;

using Changes = std::map<std::string, std::string>;  // path -> "created"...

class Output : public ::testing::Test {
 protected:
  Output() : inventory_(dir_.path() / "mesh.ini"), out_(dir_.path() / "out") {}

  // generate_mesh with `text` as the inventory; the report as path -> change.
  Changes generate(const std::string& text, const MeshRandom& random, bool dry_run = false) {
    write_text(inventory_, text);
    MeshOptions options;
    options.output = out_;
    options.dry_run = dry_run;
    auto report = generate_mesh(inventory_, options, random);
    if (!report) {
      ADD_FAILURE() << report.error().message;
      return {};
    }
    Changes changes;
    for (const auto& f : report->files) {
      EXPECT_FALSE(changes.contains(f.path)) << "reported twice: " << f.path;
      changes[f.path] = std::string(to_string(f.change));
    }
    return changes;
  }
  // Only the entries that are not "unchanged".
  static Changes changed(const Changes& all) {
    Changes c;
    for (const auto& [path, change] : all)
      if (change != "unchanged") c[path] = change;
    return c;
  }
  std::string read(const std::string& rel) const { return read_text(out_ / rel); }

  TempDir dir_;
  std::filesystem::path inventory_, out_;
  ScriptedRandom random_;
};

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST_F(Output, FirstRunCreatesEverythingWithPrivateModes) {
  Changes c = generate(std::string(kSeedInventory), random_.random());
  EXPECT_EQ(c.size(), 13u);  // the state and 3 files for each of 4 hosts
  for (const auto& [path, change] : c) EXPECT_EQ(change, "created") << path;
  EXPECT_EQ(test::file_mode(out_), 0700u);
  EXPECT_EQ(test::file_mode(out_ / "mesh-state.json"), 0600u);
  for (const char* host : {"dolores", "maeve", "bernard", "charlotte"}) {
    const std::string h = host;
    EXPECT_EQ(test::file_mode(out_ / h), 0700u);
    EXPECT_EQ(test::file_mode(out_ / h / "wg0.conf"), 0600u);
    EXPECT_EQ(test::file_mode(out_ / h / "privatekey"), 0600u);
    EXPECT_EQ(test::file_mode(out_ / h / "publickey"), 0644u);
    auto cfg = uapi::parse_wg_quick(read(h + "/wg0.conf"), h);
    ASSERT_TRUE(cfg) << cfg.error().message;
    // privatekey and publickey as `wg genkey | tee privatekey | wg pubkey > publickey`.
    const std::string private_key = read(h + "/privatekey");
    ASSERT_EQ(private_key.size(), 45u);
    EXPECT_EQ(private_key.back(), '\n');
    EXPECT_TRUE(crypto::key_from_base64(std::string_view(private_key).substr(0, 44)));
    EXPECT_THAT(read(h + "/wg0.conf"), HasSubstr("PrivateKey = " + read(h + "/privatekey")));
    EXPECT_THAT(read("maeve/wg0.conf") + read("dolores/wg0.conf"),
                HasSubstr("PublicKey = " + read(h + "/publickey")));
  }
}

TEST_F(Output, ReRunChangesNothingAndWritesNothing) {
  generate(std::string(kSeedInventory), random_.random());
  struct stat before{};
  ASSERT_EQ(::stat((out_ / "dolores/wg0.conf").c_str(), &before), 0);
  const std::string state = read("mesh-state.json");
  Changes c = generate(std::string(kSeedInventory), no_random());
  EXPECT_EQ(c.size(), 13u);
  EXPECT_TRUE(changed(c).empty());
  struct stat after{};
  ASSERT_EQ(::stat((out_ / "dolores/wg0.conf").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // not replaced
  EXPECT_EQ(read("mesh-state.json"), state);
}

TEST_F(Output, ChangingOneEndpointChangesOnlyTheFilesThatMentionIt) {
  generate(std::string(kSeedInventory), random_.random());
  const std::string dolores_key = read("dolores/privatekey");
  Changes c = generate(replace(std::string(kSeedInventory), "endpoint = 198.51.100.7",
                               "endpoint = maeve.example.net"),
                       no_random());
  EXPECT_EQ(changed(c), (Changes{{"bernard/wg0.conf", "updated"},
                                 {"charlotte/wg0.conf", "updated"},
                                 {"dolores/wg0.conf", "updated"}}));
  EXPECT_THAT(read("dolores/wg0.conf"), HasSubstr("Endpoint = maeve.example.net:55867"));
  EXPECT_EQ(read("dolores/privatekey"), dolores_key);
}

TEST_F(Output, AddingAHostCreatesItsFilesAndAddsItAsAPeer) {
  generate(std::string(kSeedInventory), random_.random());
  Changes c = generate(std::string(kSeedInventory) +
                           "\n[host teddy]\ncomment = Office, Frankfurt\n"
                           "subnets = 172.27.126.0/24\n",
                       random_.random());
  EXPECT_EQ(changed(c), (Changes{{"mesh-state.json", "updated"},
                                 {"bernard/wg0.conf", "updated"},
                                 {"charlotte/wg0.conf", "updated"},
                                 {"dolores/wg0.conf", "updated"},
                                 {"maeve/wg0.conf", "updated"},
                                 {"teddy/privatekey", "created"},
                                 {"teddy/publickey", "created"},
                                 {"teddy/wg0.conf", "created"}}));
  EXPECT_THAT(read("dolores/wg0.conf"), HasSubstr("172.27.126.0/24"));
  EXPECT_THAT(read("teddy/wg0.conf"), HasSubstr("Address = 10.195.171.4/24, fdc1:d89e:b128:6a04::4/64"));
}

TEST_F(Output, RemovingAHostRemovesItsFilesAndItsPeerEverywhere) {
  generate(std::string(kSeedInventory), random_.random());
  const std::string maeve_pub = read("maeve/publickey");
  std::string without = std::string(kSeedInventory);
  without = replace(without, "[host maeve]\nendpoint = 198.51.100.7\ncomment = Rackspace, London\n", "");
  Changes c = generate(without, no_random());
  EXPECT_EQ(changed(c), (Changes{{"mesh-state.json", "updated"},
                                 {"bernard/wg0.conf", "updated"},
                                 {"charlotte/wg0.conf", "updated"},
                                 {"dolores/wg0.conf", "updated"},
                                 {"maeve/privatekey", "removed"},
                                 {"maeve/publickey", "removed"},
                                 {"maeve/wg0.conf", "removed"}}));
  EXPECT_FALSE(std::filesystem::exists(out_ / "maeve"));
  EXPECT_THAT(read("dolores/wg0.conf"), ::testing::Not(HasSubstr(maeve_pub.substr(0, 44))));
  EXPECT_THAT(read("mesh-state.json"), ::testing::Not(HasSubstr("maeve")));
}

TEST_F(Output, RenamingTheInterfaceReplacesTheConfigFiles) {
  generate(std::string(kSeedInventory), random_.random());
  Changes c = generate(replace(std::string(kSeedInventory), "domain = example.net\n",
                               "domain = example.net\ninterface = mesh0\n"),
                       no_random());
  EXPECT_EQ(c["dolores/wg0.conf"], "removed");
  EXPECT_EQ(c["dolores/mesh0.conf"], "created");
  EXPECT_EQ(c["dolores/privatekey"], "unchanged");
  EXPECT_FALSE(std::filesystem::exists(out_ / "dolores/wg0.conf"));
  EXPECT_TRUE(std::filesystem::exists(out_ / "dolores/privatekey"));
}

TEST_F(Output, ALooseModeIsRepaired) {
  generate(std::string(kSeedInventory), random_.random());
  ASSERT_EQ(::chmod((out_ / "charlotte/privatekey").c_str(), 0644), 0);
  Changes c = generate(std::string(kSeedInventory), no_random());
  EXPECT_EQ(changed(c), (Changes{{"charlotte/privatekey", "updated"}}));
  EXPECT_EQ(test::file_mode(out_ / "charlotte/privatekey"), 0600u);
}

TEST_F(Output, DryRunWritesNothing) {
  Changes c = generate(std::string(kSeedInventory), random_.random(), /*dry_run=*/true);
  EXPECT_EQ(c.size(), 13u);
  EXPECT_FALSE(std::filesystem::exists(out_));
  generate(std::string(kSeedInventory), random_.random());
  const std::string before = read("dolores/wg0.conf");
  c = generate(replace(std::string(kSeedInventory), "endpoint = 198.51.100.7",
                       "endpoint = 198.51.100.8"),
               no_random(), /*dry_run=*/true);
  EXPECT_EQ(changed(c).size(), 3u);
  EXPECT_EQ(read("dolores/wg0.conf"), before);
}

TEST_F(Output, FilesNotWrittenByUsAreLeftAlone) {
  generate(std::string(kSeedInventory), random_.random());
  write_text(out_ / "dolores" / "notes.txt", "mine");
  Changes c = generate(replace(std::string(kSeedInventory),
                               "[host dolores]\nendpoint = 203.0.113.54\n"
                               "comment = Hetzner, San Francisco\nipv4 = 10.195.171.142\n"
                               "ipv6 = fdc1:d89e:b128:6a04::7de4\n",
                               ""),
                       no_random());
  EXPECT_EQ(c["dolores/wg0.conf"], "removed");
  EXPECT_EQ(c["dolores/privatekey"], "removed");
  EXPECT_FALSE(c.contains("dolores/notes.txt"));
  EXPECT_EQ(read("dolores/notes.txt"), "mine");  // and the directory stays for it
}

TEST_F(Output, InvalidInventoryWritesNothing) {
  write_text(inventory_, std::string(kSeedInventory) + "[host Dolores]\nendpoint = 192.0.2.77\n");
  MeshOptions options;
  options.output = out_;
  auto r = generate_mesh(inventory_, options, random_.random());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("mesh.ini:27: [host Dolores]: a second host of that name"));
  EXPECT_FALSE(std::filesystem::exists(out_));
}

TEST_F(Output, OutputDirectoryIsRelativeToTheInventory) {
  write_text(inventory_, std::string(kSeedInventory) + "");
  auto inv = read_inventory(inventory_);
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(output_directory(*inv, inventory_, {}), dir_.path() / "wgd-mesh");
  inv->output = "generated";
  EXPECT_EQ(output_directory(*inv, inventory_, {}), dir_.path() / "generated");
  inv->output = "/srv/mesh";
  EXPECT_EQ(output_directory(*inv, inventory_, {}), "/srv/mesh");
  MeshOptions options;
  options.output = "cli-out";
  EXPECT_EQ(output_directory(*inv, inventory_, options), "cli-out");
  EXPECT_EQ(output_directory(*inv, "mesh.ini", {}), "/srv/mesh");
  inv->output.reset();
  EXPECT_EQ(output_directory(*inv, "mesh.ini", {}), std::filesystem::path(".") / "wgd-mesh");
}

TEST_F(Output, ACorruptStateIsAnErrorNotANewMesh) {
  generate(std::string(kSeedInventory), random_.random());
  write_text(out_ / "mesh-state.json", "{ broken");
  MeshOptions options;
  options.output = out_;
  auto r = generate_mesh(inventory_, options, no_random());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("mesh-state.json: not valid JSON"));
}

TEST_F(Output, ConcurrentRunsAreRefused) {
  generate(std::string(kSeedInventory), random_.random());
  auto held = lock_directory(out_);
  ASSERT_TRUE(held) << held.error().message;
  MeshOptions options;
  options.output = out_;
  auto r = generate_mesh(inventory_, options, no_random());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("another `wgd mesh generate` is writing"));
}

TEST_F(Output, ShowDescribesThePlanWithoutWriting) {
  write_text(inventory_, std::string(kSeedInventory));
  MeshOptions options;
  options.output = out_;
  auto text = show_mesh(inventory_, options);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_FALSE(std::filesystem::exists(out_));
  EXPECT_THAT(*text, HasSubstr("dolores    10.195.171.142  fdc1:d89e:b128:6a04::7de4  55867  203.0.113.54:55867"));
  EXPECT_THAT(*text, HasSubstr("charlotte: no endpoint; dolores, maeve, bernard wait for it"));
  EXPECT_THAT(*text, HasSubstr("(new key on generate)"));
  generate(std::string(kSeedInventory), random_.random());
  text = show_mesh(inventory_, options);
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, HasSubstr(read("dolores/publickey").substr(0, 44)));
  EXPECT_THAT(*text, ::testing::Not(HasSubstr(read("dolores/privatekey").substr(0, 44))));
  EXPECT_THAT(*text, ::testing::Not(HasSubstr("*")));
}

}  // namespace
}  // namespace wgd::mesh
