// The probe datagrams, HOST:PORT parsing, and the listener and prober over real loopback
// sockets (no root needed): answered, refused (nothing listens), unanswered (a listener that
// does not reply), a stray datagram reported with its text.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>
#include <vector>

#include "doctor/host_port.h"
#include "doctor/probe_protocol.h"
#include "doctor/udp_listener.h"
#include "doctor/udp_prober.h"

namespace wgd::doctor {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(ProbeProtocol, RoundTripAndRejects) {
  const std::string token = new_probe_token();
  ASSERT_EQ(token.size(), 16u);
  EXPECT_NE(token, new_probe_token());
  std::string probe = encode_probe_message({ProbeMessage::Kind::kProbe, token, 7});
  EXPECT_EQ(probe, "wgd-doctor-probe 1 " + token + " 7 UDP reached this port\n");
  auto m = decode_probe_message(bytes(probe));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, ProbeMessage::Kind::kProbe);
  EXPECT_EQ(m->token, token);
  EXPECT_EQ(m->seq, 7u);
  auto reply =
      decode_probe_message(bytes(encode_probe_message({ProbeMessage::Kind::kReply, token, 2})));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->kind, ProbeMessage::Kind::kReply);

  EXPECT_FALSE(decode_probe_message(bytes("UDP is not blocked on this port!\n")));
  EXPECT_FALSE(decode_probe_message(bytes("wgd-doctor-probe 1 " + token + " 7")));  // no newline
  EXPECT_FALSE(decode_probe_message(bytes("wgd-doctor-probe 2 " + token + " 7 x\n")));
  EXPECT_FALSE(decode_probe_message(bytes("wgd-doctor-probe 1 XYZ 7 x\n")));
  EXPECT_FALSE(decode_probe_message(bytes("wgd-doctor-reply 1 " + token + " -1\n")));
  const std::string initiation("\x01\x00\x00\x00wgd-doctor-probe", 20);
  EXPECT_FALSE(decode_probe_message(bytes(initiation)));
}

TEST(ProbeProtocol, PrintablePayload) {
  EXPECT_EQ(printable_payload(bytes("hello\n")), "hello\\n");
  EXPECT_EQ(printable_payload(bytes(std::string("\x01\x00", 2))), "\\x01\\x00");
  EXPECT_EQ(printable_payload(bytes(std::string(100, 'a')), 10), "aaaaaaaaaa...");
}

TEST(HostPort, Forms) {
  auto a = parse_host_port("vpn.example.org:51821", 51820);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "vpn.example.org");
  EXPECT_EQ(a->port, 51821);
  auto b = parse_host_port("[2001:db8::1]:5555", 51820);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "2001:db8::1");
  EXPECT_EQ(b->port, 5555);
  auto c = parse_host_port("2001:db8::1", 51820);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 51820);
  auto d = parse_host_port("192.0.2.1", 4);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 4);
  EXPECT_FALSE(parse_host_port("192.0.2.1:0", 1));
  EXPECT_FALSE(parse_host_port("192.0.2.1:70000", 1));
  EXPECT_FALSE(parse_host_port("[2001:db8::1", 1));
  EXPECT_FALSE(parse_host_port(":51820", 1));
  auto ep = resolve_host_port({"127.0.0.1", 9});
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->to_string(), "127.0.0.1:9");
  EXPECT_FALSE(resolve_host_port({"no-such-host.invalid", 9}));
}

ProbeOptions fast(int count) {
  ProbeOptions o;
  o.count = count;
  o.interval = std::chrono::milliseconds(20);
  o.wait = std::chrono::milliseconds(500);
  return o;
}

TEST(ListenAndProbe, AnsweredOverLoopback) {
  auto listener = UdpListener::bind(0);
  ASSERT_TRUE(listener) << listener.error().message;
  const std::uint16_t port = listener->port();
  ASSERT_NE(port, 0);
  std::vector<ListenEvent> events;
  std::thread t([&] {
    auto n = listener->run(std::chrono::seconds(10), 3, true,
                           [&](const ListenEvent& ev) { events.push_back(ev); });
    EXPECT_TRUE(n && *n == 3);
  });
  auto target = Endpoint::parse("127.0.0.1:" + std::to_string(port));
  std::vector<ProbeEvent> seen;
  auto r = run_probe(*target, fast(3), [&](const ProbeEvent& e) { seen.push_back(e); });
  t.join();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sent, 3);
  EXPECT_EQ(r->answered, 3);
  ASSERT_EQ(events.size(), 3u);
  for (const auto& ev : events) {
    ASSERT_TRUE(ev.probe);
    EXPECT_TRUE(ev.answered);
    EXPECT_EQ(ev.from.address.to_string(), "127.0.0.1");
  }
  const std::string summary = summarize_probe(*r, "127.0.0.1");
  EXPECT_TRUE(summary.starts_with("UDP " + std::to_string(port) + " reaches 127.0.0.1:"))
      << summary;
  EXPECT_NE(summary.find("3 of 3 probes answered"), std::string::npos) << summary;
}

TEST(ListenAndProbe, NobodyListensIsPortUnreachable) {
  // A port that was free a moment ago: the kernel answers with ICMP port unreachable.
  std::uint16_t port = 0;
  {
    auto l = UdpListener::bind(0);
    ASSERT_TRUE(l);
    port = l->port();
  }
  auto r = run_probe(*Endpoint::parse("127.0.0.1:" + std::to_string(port)), fast(2), nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->answered, 0);
  EXPECT_EQ(r->error, ECONNREFUSED);
  EXPECT_NE(summarize_probe(*r, "").find("\"port unreachable\" came back"), std::string::npos);
}

TEST(ListenAndProbe, ListenerWithoutRepliesLeavesTheProberUnanswered) {
  auto listener = UdpListener::bind(0);
  ASSERT_TRUE(listener);
  std::atomic<int> got{0};
  std::thread t([&] {
    auto n = listener->run(std::chrono::seconds(10), 2, false, [&](const ListenEvent& ev) {
      EXPECT_FALSE(ev.answered);
      ++got;
    });
    EXPECT_TRUE(n);
  });
  auto r =
      run_probe(*Endpoint::parse("[::1]:" + std::to_string(listener->port())), fast(2), nullptr);
  t.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(got.load(), 2) << "the listener saw both probes";
  EXPECT_EQ(r->answered, 0);
  EXPECT_EQ(r->error, 0);
  const std::string summary = summarize_probe(*r, "::1");
  EXPECT_NE(summary.find("no answer: UDP " + std::to_string(listener->port()) +
                         " is blocked on the way or nothing listens"),
            std::string::npos)
      << summary;
}

TEST(ListenAndProbe, NetcatLineIsReportedAndTimeoutEnds) {
  auto listener = UdpListener::bind(0);
  ASSERT_TRUE(listener);
  // What seed 000's `echo ... | nc -u` sends.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(listener->port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string line = "UDP is not blocked on this port!\n";
  ASSERT_EQ(::sendto(fd, line.data(), line.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(line.size()));
  ::close(fd);
  std::vector<ListenEvent> events;
  auto start = std::chrono::steady_clock::now();
  auto n = listener->run(std::chrono::milliseconds(300), 0, true,
                         [&](const ListenEvent& ev) { events.push_back(ev); });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(290));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].probe);
  EXPECT_EQ(events[0].text, "UDP is not blocked on this port!\\n");
}

TEST(ListenAndProbe, PortInUseAndSparePort) {
  auto first = UdpListener::bind(0);
  ASSERT_TRUE(first);
  auto second = UdpListener::bind(first->port());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, EADDRINUSE);
  auto spare = find_free_udp_port(first->port());
  ASSERT_TRUE(spare);
  EXPECT_NE(*spare, first->port());
}

}  // namespace
}  // namespace wgd::doctor
