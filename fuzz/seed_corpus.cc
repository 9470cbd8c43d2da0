// Writes the seed corpus of every fuzz target: real messages made by the real code (two protocol
// cores completing a handshake, exchanging data and a cookie reply), IP packets, and programs
// for the handshake and device_receive targets that walk them through their deep states.
//
//   wgd_fuzz_seeds OUTDIR   ->  OUTDIR/<target>/<name>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "byte_reader.h"
#include "crypto/x25519.h"
#include "device_program.h"
#include "gro_program.h"
#include "wg/device.h"
#include "wg/test_support.h"

namespace {

using namespace wgd;
using namespace wgd::wg;
using namespace wgd::fuzz;
namespace fs = std::filesystem;

fs::path g_out;

void write(const std::string& target, const std::string& name, ByteSpan bytes) {
  const fs::path dir = g_out / target;
  fs::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

// Real datagrams from two protocol cores talking to each other.
struct Traffic {
  Bytes initiation, response, keepalive, data64, data1420, cookie_reply;
};

Traffic real_traffic() {
  test::DeterministicRng rng_a(1), rng_b(2);
  Device a(rng_a), b(rng_b);
  test::CaptureSink out_a, out_b;
  auto key = [](Rng& rng) {
    crypto::PrivateKey k;
    rng.fill(k.span());
    crypto::x25519_clamp(k);
    return k;
  };
  const crypto::PrivateKey ka = key(rng_a), kb = key(rng_b);
  const Endpoint ep_a = *Endpoint::parse("192.0.2.1:51820");
  const Endpoint ep_b = *Endpoint::parse("192.0.2.2:51820");
  auto config = [](const crypto::PrivateKey& ours, const crypto::PublicKey& theirs,
                   const Endpoint& ep, const char* allowed) {
    DeviceChange c;
    c.private_key = ours.clone();
    PeerChange p;
    p.public_key = theirs;
    p.endpoint = ep;
    p.allowed_ips.push_back(*IpPrefix::parse(allowed));
    c.peers.push_back(std::move(p));
    return c;
  };
  Now now{1000 * kSecond, 1700000000LL * kSecond};
  if (!a.apply(config(ka, crypto::x25519_public(kb), ep_b, "10.0.0.2/32"), now, out_a) ||
      !b.apply(config(kb, crypto::x25519_public(ka), ep_a, "10.0.0.1/32"), now, out_b))
    std::exit(1);

  Traffic t;
  a.send(now, test::ipv4_packet("10.0.0.1", "10.0.0.2", 44), out_a);
  t.initiation = out_a.take_sent().at(0).bytes;
  b.receive(now, ep_a, t.initiation, true, out_b);  // under load: a cookie reply
  t.cookie_reply = out_b.take_sent().at(0).bytes;
  b.receive(now, ep_a, t.initiation, false, out_b);
  t.response = out_b.take_sent().at(0).bytes;
  a.receive(now, ep_b, t.response, false, out_a);
  t.data64 = out_a.take_sent().at(0).bytes;  // the staged packet, as the first data
  a.send(now, test::ipv4_packet("10.0.0.1", "10.0.0.2", 1400), out_a);
  t.data1420 = out_a.take_sent().at(0).bytes;
  now.mono += 11 * kSecond;
  now.wall += 11 * kSecond;
  b.receive(now, ep_a, t.data64, false, out_b);
  b.tick(now, out_b);
  for (auto& d : out_b.take_sent())
    if (d.bytes.size() == kTransportMinSize) t.keepalive = d.bytes;
  if (t.keepalive.empty()) t.keepalive = Bytes(kTransportMinSize, 0), t.keepalive[0] = 4;
  return t;
}

void decoder_seeds(const Traffic& t) {
  write("decode_initiation", "initiation", t.initiation);
  write("decode_response", "response", t.response);
  write("decode_cookie_reply", "cookie_reply", t.cookie_reply);
  write("decode_transport", "keepalive", t.keepalive);
  write("decode_transport", "data64", t.data64);
  write("decode_transport", "data1420", t.data1420);
  // Each decoder also meets the other kinds (they must refuse them).
  for (const char* target : {"decode_initiation", "decode_response", "decode_cookie_reply"}) {
    write(target, "other_transport", t.data64);
    write(target, "other_initiation", t.initiation);
  }
  write("ip_header", "v4", test::ipv4_packet("10.0.0.1", "10.0.0.2", 30));
  write("ip_header", "v6", test::ipv6_packet("fd00::1", "fd00::2", 30));
  write("ip_header", "v4_min", test::ipv4_packet("10.0.0.1", "10.0.0.2", 0));
  write("ip_header", "v6_min", test::ipv6_packet("fd00::1", "fd00::2", 0));
}

void handshake_seeds(const Traffic& t) {
  // mode 0: round trips, clean and with one change in each part of each message.
  struct Flip {
    std::uint16_t at1;
    std::uint8_t with1;
    std::uint16_t at2;
    std::uint8_t with2;
  };
  const Flip flips[] = {{0, 0, 0, 0},   {4, 1, 0, 0},   {8, 1, 0, 0},  {50, 1, 0, 0},
                        {100, 1, 0, 0}, {120, 1, 0, 0}, {0, 0, 4, 1},  {0, 0, 20, 1},
                        {0, 0, 50, 1},  {0, 0, 70, 1},  {10, 3, 80, 3}};
  int n = 0;
  for (const Flip& f : flips) {
    for (int psk = 0; psk < 3; ++psk) {
      ByteWriter w;
      w.u8(0).u8(psk > 0);
      if (psk > 0) {
        for (int i = 0; i < 32; ++i) w.u8(static_cast<std::uint8_t>(i * 7));
      }
      w.u8(psk == 2);  // the responder's PSK differs (in byte 5)
      if (psk == 2) w.u8(5);
      w.u16(f.at1).u8(f.with1).u16(f.at2).u8(f.with2);
      w.u32(1000).u64(1700000000ULL * 1000000000ULL).u8(n & 1);  // times, replay
      write("handshake", "round_trip_" + std::to_string(n++), w.data());
    }
  }
  ByteWriter init;
  init.u8(1).bytes(t.initiation).u32(5);
  write("handshake", "arbitrary_initiation", init.data());
  ByteWriter resp;
  resp.u8(2).bytes(t.response);
  write("handshake", "arbitrary_response", resp.data());
}

// device_receive programs.
ByteWriter& op(ByteWriter& w, DeviceOp o) {
  return w.u8(static_cast<std::uint8_t>(o));
}
ByteWriter& send_a(ByteWriter& w, bool v6, std::uint16_t len) {
  return op(w, DeviceOp::kSendA).u8(v6).u16(len).u8(0);
}
ByteWriter& send_b(ByteWriter& w, bool v6, std::uint16_t len) {
  return op(w, DeviceOp::kSendB).u8(v6).u16(len);
}
ByteWriter& pump(ByteWriter& w, std::uint64_t fates_a = 0, std::uint16_t fates_b = 0) {
  return op(w, DeviceOp::kPump).u64(fates_a).u16(fates_b);
}
ByteWriter& tick(ByteWriter& w, std::uint8_t step) {
  return op(w, DeviceOp::kTick).u8(step);
}
ByteWriter& handshake(ByteWriter& w) {
  return pump(send_a(w, false, 64));
}

void device_seeds(const Traffic& t) {
  auto save = [n = 0](const ByteWriter& w) mutable {
    write("device_receive", "program_" + std::to_string(n++), w.data());
  };
  const std::uint8_t all = kSetupBKnowsEndpoint;

  {  // a handshake, data both ways, timers running out
    ByteWriter w;
    w.u8(all);
    handshake(w);
    pump(send_b(w, true, 100));
    for (std::uint8_t s : {7, 8, 11, 12, 13, 15}) pump(tick(w, s));
    save(w);
  }
  {  // raw messages of every kind, also under load, with an index of B's patched in
    for (const Bytes* m : {&t.initiation, &t.response, &t.cookie_reply, &t.data64}) {
      ByteWriter w;
      w.u8(all);
      handshake(w);
      op(w, DeviceOp::kRaw).u8(2).u8(1).u8(1).u8(0).u8(1).run(*m);
      op(w, DeviceOp::kRaw).u8(0).u8(0).u8(2).u8(0).u8(0).run(*m);
      save(w);
    }
  }
  {  // under load: a cookie reply to the attacker, then a restamped initiation with its cookie
    ByteWriter w;
    w.u8(all);
    send_a(w, false, 64);
    op(w, DeviceOp::kMutated).u16(0).u8(2).u8(1).u8(1).u8(0).u8(0);
    op(w, DeviceOp::kMutated).u16(0).u8(2).u8(1).u8(1).u8(1).u16(4).u8(1).u8(0);
    pump(w, 4);  // A's initiation under load: a cookie reply to A
    tick(w, 6);
    pump(w);
    save(w);
  }
  {  // mutations and replays of every datagram A sent
    ByteWriter w;
    w.u8(all | kSetupPsk);
    handshake(w);
    send_a(w, true, 1300);
    pump(w);
    for (std::uint16_t pick = 0; pick < 4; ++pick) {
      op(w, DeviceOp::kReplay).u16(pick).u8(pick % 3).u8(0);
      op(w, DeviceOp::kMutated).u16(pick).u8(0).u8(0).u8(1).u8(1).u16(60).u8(0x80).u8(0);
      op(w, DeviceOp::kMutated).u16(pick).u8(1).u8(0).u8(0).u8(0).u8(250);
    }
    save(w);
  }
  {  // chosen plaintexts under A's real key: allowed, spoofed, not IP, keepalive, edge counters
    for (std::uint8_t kind = 0; kind < static_cast<std::uint8_t>(Payload::kCount); ++kind) {
      ByteWriter w;
      w.u8(all);
      handshake(w);
      for (std::uint8_t mode = 0; mode < 4; ++mode) {
        op(w, DeviceOp::kReseal).u8(1).u8(mode).u64(100 + mode).u8(mode % 3).u8(0).u8(kind);
        w.run(test::ipv6_packet("fd00::1", "fd00::2", 20));
      }
      save(w);
    }
  }
  {  // roaming, relays through the attacker, losses, duplicates
    ByteWriter w;
    w.u8(0);
    send_a(w, false, 64);
    pump(w, 0x6543210, 0x2);
    send_b(w, false, 10);
    pump(w, 0x5555, 0);
    send_a(w, true, 64);
    pump(w, 0x33, 1);
    tick(w, 9);
    pump(w);
    save(w);
  }
  {  // reconfiguration between exchanges
    ByteWriter w;
    w.u8(all | kSetupKeepaliveA);
    handshake(w);
    for (std::uint8_t what = 0; what < static_cast<std::uint8_t>(Reconfigure::kCount); ++what) {
      op(w, DeviceOp::kReconfigure).u8(what).u8(what == 3 ? 3 : 1);
      send_a(w, what & 1, 50);
      send_b(w, false, 50);
      pump(w);
      tick(w, 4);
    }
    save(w);
  }
}

}  // namespace

// Programs for gro_coalescer (gro_program.h): runs that merge, and runs the rules cut short.
void gro_seeds() {
  const auto tcp = [](ByteWriter& w, std::uint8_t op, std::uint16_t payload, std::uint8_t flags) {
    w.u8(static_cast<std::uint8_t>(op | 1)).u16(payload).u8(flags).u8(1);
  };
  const auto udp = [](ByteWriter& w, std::uint8_t op, std::uint16_t payload) {
    w.u8(static_cast<std::uint8_t>(op | 2)).u16(payload);
  };
  for (std::uint8_t v6 : {0, 4}) {
    ByteWriter tcp_run, udp_run, mixed;
    tcp_run.u8(7);
    for (int i = 0; i < 20; ++i) tcp(tcp_run, v6, 1380, i == 19 ? 200 : 0);  // last one PSH
    write("gro_coalescer", v6 ? "tcp_run_v6" : "tcp_run_v4", tcp_run.data());
    udp_run.u8(7);
    for (int i = 0; i < 70; ++i) udp_run.u8(static_cast<std::uint8_t>(v6 | 2)).u16(i == 50 ? 30 : 64);
    write("gro_coalescer", v6 ? "udp_run_v6" : "udp_run_v4", udp_run.data());
    // Two flows of each kind interleaved, a TTL change, an empty datagram, raw bytes.
    mixed.u8(7);
    for (int i = 0; i < 6; ++i) {
      tcp(mixed, v6, 1000, 0);
      udp(mixed, v6, 500);
      tcp(mixed, static_cast<std::uint8_t>(v6 | 0x08), 1000, 0);
      udp(mixed, static_cast<std::uint8_t>(v6 | 0x18), 500);
    }
    udp(mixed, static_cast<std::uint8_t>(v6 | 0x20), 500);
    udp(mixed, v6, 0);
    udp(mixed, v6, 500);
    mixed.u8(0).run(test::ipv4_packet("10.0.0.1", "10.0.0.2", 30));
    write("gro_coalescer", v6 ? "mixed_v6" : "mixed_v4", mixed.data());
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  g_out = argv[1];
  const Traffic t = real_traffic();
  decoder_seeds(t);
  handshake_seeds(t);
  device_seeds(t);
  gro_seeds();
  return 0;
}
