// The protocol core's own costs, with real sessions between two Devices wired back to back on a
// fake clock (no I/O): what the tunnel layer can get at most from one core.
//
//   build-x/bench/core_bench --benchmark_counters_tabular=true
//
// - handshake_full: initiation + response + first data packet, both sides' work on one core,
//   a fresh session every iteration (all 8 X25519 of a handshake are done each time);
// - handshake_responder: the responder's share alone (consume the initiation, respond, take the
//   first data packet), which is what a server spends per connecting client;
// - handshake_initiator: the initiator's share alone (build the initiation, consume the
//   response, send the first data packet), what a client or a mesh node that dials spends;
// - seal/open: the static per-packet AEAD steps of the split data path at 1420 bytes (seal in
//   place, as the I/O layer does), comparable with crypto_bench's raw AEAD figures;
// - send_path/receive_path: the whole-packet Device::send / Device::receive at 1420 bytes
//   (routing, nonce reservation, timers, replay window, allowed-IPs check of the inner source).
// Byte rates count the 1420-byte inner packet, as crypto_bench counts its plaintext.
#include <benchmark/benchmark.h>
#include <time.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "crypto/x25519.h"
#include "wg/device.h"
#include "wg/test_support.h"

namespace {

using namespace wgd;
using namespace wgd::wg;

constexpr std::size_t kPacket = 1420;

// The calling thread's CPU time in seconds: the partly timed benchmarks (UseManualTime) use it
// rather than a wall clock, so that time spent descheduled on a busy machine does not count,
// as it does not for the benchmarks Google Benchmark times itself (which report CPU time).
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Keeps what a device emits in buffers that are reused, so the sink costs no allocation.
class BenchSink final : public Sink {
 public:
  void send(const Endpoint&, ByteSpan d) override {
    if (count_ == sent_.size()) sent_.emplace_back();
    sent_[count_++].assign(d.begin(), d.end());
  }
  void deliver(ByteSpan p) override {
    ++delivered;
    delivered_bytes += p.size();
  }
  std::size_t count() const { return count_; }
  const Bytes& at(std::size_t i) const { return sent_[i]; }
  void clear() { count_ = 0; }

  std::uint64_t delivered = 0;
  std::uint64_t delivered_bytes = 0;

 private:
  std::vector<Bytes> sent_;
  std::size_t count_ = 0;
};

// Two devices, each with the other as its one peer.
struct Pair {
  SystemRng rng_a, rng_b;
  Device a{rng_a}, b{rng_b};
  BenchSink out_a, out_b;
  Endpoint ep_a = *Endpoint::parse("192.0.2.1:51820");
  Endpoint ep_b = *Endpoint::parse("192.0.2.2:51820");
  crypto::PublicKey pub_a{}, pub_b{};
  Now now{1000 * kSecond, 1700000000LL * kSecond};
  Bytes packet_a = test::ipv4_packet("10.0.0.1", "10.0.0.2", kPacket - 20);

  Pair() {
    const crypto::PrivateKey ka = crypto::x25519_generate(), kb = crypto::x25519_generate();
    pub_a = crypto::x25519_public(ka);
    pub_b = crypto::x25519_public(kb);
    configure(a, ka, pub_b, ep_b, "10.0.0.2/32", out_a);
    configure(b, kb, pub_a, ep_a, "10.0.0.1/32", out_b);
  }

  static void configure(Device& d, const crypto::PrivateKey& key, const crypto::PublicKey& peer,
                        const Endpoint& ep, const char* allowed, Sink& out) {
    DeviceChange c;
    c.private_key = key.clone();
    PeerChange p;
    p.public_key = peer;
    p.endpoint = ep;
    p.allowed_ips.push_back(*IpPrefix::parse(allowed));
    c.peers.push_back(std::move(p));
    if (!d.apply(c, Now{}, out)) std::abort();
  }

  // Moves the clock past REJECT_AFTER_TIME, so the next send needs a new handshake (and the
  // initiation rate limit and the flood check are long past).
  void expire_sessions() {
    now.mono += 200 * kSecond;
    now.wall += 200 * kSecond;
  }

  // a sends one packet to b with whatever handshake that takes; returns b's deliveries.
  std::uint64_t exchange() {
    const std::uint64_t before = out_b.delivered;
    out_a.clear();
    a.send(now, packet_a, out_a);
    for (int round = 0; round < 4 && out_a.count(); ++round) {
      out_b.clear();
      for (std::size_t i = 0; i < out_a.count(); ++i)
        b.receive(now, ep_a, out_a.at(i), false, out_b);
      out_a.clear();
      for (std::size_t i = 0; i < out_b.count(); ++i)
        a.receive(now, ep_b, out_b.at(i), false, out_a);
    }
    return out_b.delivered - before;
  }
};

void handshake_full(benchmark::State& state) {
  Pair p;
  for (auto _ : state) {
    p.expire_sessions();
    if (p.exchange() != 1) state.SkipWithError("the packet did not arrive");
  }
  if (p.a.drops(Drop::kHandshakeInvalid) || p.b.drops(Drop::kReplayedHandshake))
    state.SkipWithError("a handshake failed");
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(handshake_full);

void handshake_responder(benchmark::State& state) {
  Pair p;
  for (auto _ : state) {
    p.expire_sessions();
    p.out_a.clear();
    p.a.send(p.now, p.packet_a, p.out_a);  // initiation (untimed: the client's work)
    if (p.out_a.count() != 1) state.SkipWithError("no initiation");
    p.out_b.clear();
    double t0 = thread_seconds();
    p.b.receive(p.now, p.ep_a, p.out_a.at(0), false, p.out_b);  // consume + respond
    double responder = thread_seconds() - t0;
    if (p.out_b.count() != 1) state.SkipWithError("no response");
    p.out_a.clear();
    p.a.receive(p.now, p.ep_b, p.out_b.at(0), false, p.out_a);  // the client's first data
    p.out_b.clear();
    t0 = thread_seconds();
    for (std::size_t i = 0; i < p.out_a.count(); ++i)
      p.b.receive(p.now, p.ep_a, p.out_a.at(i), false, p.out_b);  // confirm + deliver
    responder += thread_seconds() - t0;
    state.SetIterationTime(responder);
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(handshake_responder)->UseManualTime();

void handshake_initiator(benchmark::State& state) {
  Pair p;
  for (auto _ : state) {
    p.expire_sessions();
    p.out_a.clear();
    double t0 = thread_seconds();
    p.a.send(p.now, p.packet_a, p.out_a);  // initiation (the packet waits for the session)
    double initiator = thread_seconds() - t0;
    if (p.out_a.count() != 1) state.SkipWithError("no initiation");
    p.out_b.clear();
    p.b.receive(p.now, p.ep_a, p.out_a.at(0), false, p.out_b);  // untimed: the server's work
    if (p.out_b.count() != 1) state.SkipWithError("no response");
    p.out_a.clear();
    t0 = thread_seconds();
    p.a.receive(p.now, p.ep_b, p.out_b.at(0), false, p.out_a);  // consume + send the data
    initiator += thread_seconds() - t0;
    if (p.out_a.count() != 1) state.SkipWithError("no first data packet");
    state.SetIterationTime(initiator);
    const std::uint64_t before = p.out_b.delivered;
    p.out_b.clear();
    p.b.receive(p.now, p.ep_a, p.out_a.at(0), false, p.out_b);
    if (p.out_b.delivered != before + 1) state.SkipWithError("the packet did not arrive");
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(handshake_initiator)->UseManualTime();

// A pair with a confirmed session from a to b.
struct Session : Pair {
  Session() {
    if (exchange() != 1) std::abort();
  }
  Device::SendTicket send_ticket(std::size_t count) {
    auto t = a.prepare_send(now, a.find_peer(pub_b)->id, count, out_a);
    if (!t) std::abort();
    return *t;
  }
};

void set_rates(benchmark::State& state, std::int64_t packets) {
  state.SetBytesProcessed(packets * static_cast<std::int64_t>(kPacket));
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kIsRate);
}

void seal(benchmark::State& state) {
  Session s;
  const auto ticket = s.send_ticket(std::size_t{1} << 40);
  Bytes buf(transport_size(kPacket));
  std::copy(s.packet_a.begin(), s.packet_a.end(), buf.begin() + kTransportHeaderSize);
  const ByteSpan in_place(buf.data() + kTransportHeaderSize, kPacket);
  std::uint64_t counter = ticket.first_counter;
  for (auto _ : state) {
    const std::size_t n = Device::seal(ticket, counter++, in_place, s.a.mtu(), buf);
    benchmark::DoNotOptimize(n);
  }
  set_rates(state, state.iterations());
}
BENCHMARK(seal);

void open(benchmark::State& state) {
  Session s;
  const auto send = s.send_ticket(1);
  Bytes datagram(transport_size(kPacket));
  Device::seal(send, send.first_counter, s.packet_a, s.a.mtu(), datagram);
  auto ticket = s.b.prepare_receive(s.now, datagram);
  if (!ticket) std::abort();
  Bytes out(datagram.size());
  for (auto _ : state) {
    // open() is the stateless AEAD step; the replay window is complete_receive's (receive_path).
    if (!Device::open(*ticket, datagram, out)) state.SkipWithError("does not authenticate");
  }
  set_rates(state, state.iterations());
}
BENCHMARK(open);

void send_path(benchmark::State& state) {
  Session s;
  for (auto _ : state) {
    s.out_a.clear();
    s.a.send(s.now, s.packet_a, s.out_a);
  }
  if (s.out_a.count() != 1 || s.out_a.at(0).size() != transport_size(kPacket))
    state.SkipWithError("send did not produce one transport message");
  set_rates(state, state.iterations());
}
BENCHMARK(send_path);

// b receives datagrams a sealed beforehand, in batches (each counter once: the replay window
// would drop a repeat); only the receiving is timed.
void receive_path(benchmark::State& state) {
  constexpr std::size_t kBatch = 512;
  Session s;
  std::vector<Bytes> batch(kBatch, Bytes(transport_size(kPacket)));
  const std::uint64_t delivered_before = s.out_b.delivered;
  for (auto _ : state) {
    const auto ticket = s.send_ticket(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i)
      Device::seal(ticket, ticket.first_counter + i, s.packet_a, s.a.mtu(), batch[i]);
    s.out_b.clear();
    const double t0 = thread_seconds();
    for (const Bytes& d : batch) s.b.receive(s.now, s.ep_a, d, false, s.out_b);
    state.SetIterationTime(thread_seconds() - t0);
  }
  const std::int64_t packets = state.iterations() * static_cast<std::int64_t>(kBatch);
  if (s.out_b.delivered - delivered_before != static_cast<std::uint64_t>(packets))
    state.SkipWithError("not every packet was delivered");
  set_rates(state, packets);
}
BENCHMARK(receive_path)->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
