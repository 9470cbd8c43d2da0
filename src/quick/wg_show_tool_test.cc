// wg's show/showconf front end against in-memory devices served on real UAPI sockets in a
// temporary directory (no root). Byte-for-byte equality with the real `wg` is checked by the
// netns test, which can use /var/run/wireguard.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>
#include <memory>

#include "crypto/x25519.h"
#include "quick/quick_test_util.h"
#include "quick/wg_show_tool.h"
#include "uapi/showconf.h"
#include "uapi/uapi_fake_handler.h"
#include "uapi/uapi_server.h"
#include "uapi/wg_show.h"
#include "util/unique_fd.h"

namespace wgd::quick {
namespace {

using testing::TempDir;

// Output streams in memory.
class Capture {
 public:
  Capture() : file_(::open_memstream(&buf_, &size_)) {}
  ~Capture() {
    if (file_) std::fclose(file_);
    std::free(buf_);
  }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(buf_, size_);
  }

 private:
  char* buf_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

class ShowToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    context_.socket_dir = dir_.path();
    context_.out = out_.file();
    context_.err = err_.file();
    context_.out_fd = -1;  // never a terminal: no colour
    context_.kernel_module_path = dir_.file("no-module");
    context_.now = 1'700'000'000;
    ::setenv("WG_COLOR_MODE", "never", 1);
  }

  uapi::testing::FakeDevice& serve(const std::string& name) {
    devices_.push_back(std::make_unique<uapi::testing::FakeDevice>());
    auto server = uapi::UapiServer::listen(name, *devices_.back(), dir_.path());
    EXPECT_TRUE(server) << server.error().message;
    if (server) {
      (*server)->start();
      servers_.push_back(std::move(*server));
    }
    return *devices_.back();
  }

  int show(std::vector<std::string_view> args) { return show_main(args, context_); }
  int showconf(std::vector<std::string_view> args) { return showconf_main(args, context_); }

  TempDir dir_;
  ShowToolContext context_;
  Capture out_, err_;
  std::vector<std::unique_ptr<uapi::testing::FakeDevice>> devices_;
  std::vector<std::unique_ptr<uapi::UapiServer>> servers_;
};

void configure(uapi::testing::FakeDevice& dev, int peers) {
  wg::DeviceChange c;
  c.private_key = crypto::x25519_generate();
  c.listen_port = 51820;
  for (int i = 0; i < peers; ++i) {
    wg::PeerChange p;
    p.public_key = crypto::x25519_public(crypto::x25519_generate());
    p.allowed_ips = {*IpPrefix::parse(fmt::format("10.0.{}.0/24", i))};
    p.endpoint = Endpoint::parse(fmt::format("192.0.2.{}:51820", i + 1));
    c.peers.push_back(std::move(p));
  }
  ASSERT_TRUE(dev.set(std::move(c)));
}

TEST_F(ShowToolTest, OneInterfacePrettyAndEachField) {
  auto& dev = serve("wgqa");
  configure(dev, 2);
  auto status = dev.snapshot();
  ASSERT_EQ(show({"wgqa"}), 0);
  uapi::ShowStyle style;
  style.now = context_.now;
  EXPECT_EQ(out_.text(), uapi::render_show_pretty("wgqa", status, style));
  for (auto name : {"public-key", "private-key", "listen-port", "fwmark", "peers",
                    "preshared-keys", "endpoints", "allowed-ips", "latest-handshakes", "transfer",
                    "persistent-keepalive", "dump"}) {
    Capture out;
    context_.out = out.file();
    ASSERT_EQ(show({"wgqa", name}), 0) << name;
    EXPECT_EQ(out.text(), uapi::render_show_field("wgqa", status, *uapi::parse_show_field(name)))
        << name;
  }
  EXPECT_EQ(err_.text(), "");
}

TEST_F(ShowToolTest, AllListsEverySocketWithBlankLinesBetween) {
  configure(serve("wgqa"), 1);
  configure(serve("wgqb"), 0);
  auto names = list_userspace_interfaces(dir_.path());
  ASSERT_TRUE(names);
  ASSERT_EQ(names->size(), 2u);
  ASSERT_EQ(show({}), 0);
  std::string no_args = out_.text();
  ASSERT_EQ(show({"all"}), 0);
  EXPECT_EQ(out_.text(), no_args + no_args);
  uapi::ShowStyle style;
  style.now = context_.now;
  auto first = devices_[(*names)[0] == "wgqa" ? 0 : 1]->snapshot();
  auto second = devices_[(*names)[0] == "wgqa" ? 1 : 0]->snapshot();
  EXPECT_EQ(no_args, uapi::render_show_pretty((*names)[0], first, style) + "\n" +
                         uapi::render_show_pretty((*names)[1], second, style));

  Capture dump;
  context_.out = dump.file();
  ASSERT_EQ(show({"all", "dump"}), 0);
  EXPECT_EQ(dump.text(), uapi::render_show_field((*names)[0], first, uapi::ShowField::kDump, true) +
                             uapi::render_show_field((*names)[1], second, uapi::ShowField::kDump,
                                                     true));
  Capture interfaces;
  context_.out = interfaces.file();
  ASSERT_EQ(show({"interfaces"}), 0);
  EXPECT_EQ(interfaces.text(), (*names)[0] + " " + (*names)[1] + "\n");
}

TEST_F(ShowToolTest, StaleSocketsAreRemovedAndNotListed) {
  configure(serve("wgqa"), 0);
  // A socket file nobody listens on, as a crashed process leaves it.
  const std::string stale = dir_.file("wgqz.sock");
  {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", stale.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  testing::write_file(dir_.file("notasocket.sock"), "");
  auto names = list_userspace_interfaces(dir_.path());
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"wgqa"});
  EXPECT_NE(::access(stale.c_str(), F_OK), 0);
}

TEST_F(ShowToolTest, ErrorsAndExitCodesAreWgs) {
  EXPECT_EQ(show({"nosuch"}), 1);
  EXPECT_EQ(err_.text(), "Unable to access interface: Protocol not supported\n");
  testing::write_file(dir_.file("module"), "");
  context_.kernel_module_path = dir_.file("module");
  EXPECT_EQ(show({"nosuch", "peers"}), 1);
  EXPECT_EQ(showconf({"nosuch"}), 1);
  const std::string usage = uapi::show_usage("wgd", "show");
  EXPECT_EQ(err_.text(), "Unable to access interface: Protocol not supported\n"
                         "Unable to access interface: No such device\n"
                         "Unable to access interface: No such device\n");

  Capture err;
  context_.err = err.file();
  EXPECT_EQ(show({"all", "bogus"}), 0);  // no interface, so no parameter to reject
  EXPECT_EQ(show({"a", "b", "c"}), 1);
  EXPECT_EQ(show({"interfaces", "x"}), 1);
  EXPECT_EQ(show({"-h"}), 0);
  EXPECT_EQ(showconf({}), 1);
  EXPECT_EQ(showconf({"a", "b"}), 1);
  EXPECT_EQ(err.text(), usage + usage + usage + "Usage: wgd showconf <interface>\n" +
                            "Usage: wgd showconf <interface>\n");
  EXPECT_EQ(out_.text(), "");

  configure(serve("wgqa"), 0);
  Capture err2;
  context_.err = err2.file();
  EXPECT_EQ(show({"all", "bogus"}), 1);
  EXPECT_EQ(show({"wgqa", "bogus"}), 1);
  EXPECT_EQ(err2.text(), "Invalid parameter: `bogus'\n" + usage + "Invalid parameter: `bogus'\n" +
                             usage);
}

TEST_F(ShowToolTest, ShowconfIsTheDevicesFile) {
  auto& dev = serve("wgqa");
  configure(dev, 3);
  ASSERT_EQ(showconf({"wgqa"}), 0);
  EXPECT_EQ(out_.text(), uapi::render_showconf(dev.snapshot()));
}

}  // namespace
}  // namespace wgd::quick
