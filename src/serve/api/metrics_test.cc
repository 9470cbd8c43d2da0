// The /metrics exposition against the rules of the Prometheus text format 0.0.4, checked by a
// strict parser written from the format's specification (so the test does not trust the
// writer it tests), and the values against a fake PeerService.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "crypto/key_codec.h"
#include "serve/api/metrics_routes.h"
#include "serve/api/prometheus_text.h"

namespace wgd::serve::api {
namespace {

// ---------------------------------------------------------------------------------------------
// A strict reader of the text format, version 0.0.4.

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Family {
  std::string type;  // counter | gauge | histogram | summary | untyped
  std::string help;
  std::vector<Sample> samples;
};

struct Exposition {
  std::map<std::string, Family> families;
  std::vector<std::string> order;

  const Sample* find(const std::string& name, const std::map<std::string, std::string>& labels) const {
    auto it = families.find(name);
    if (it == families.end()) return nullptr;
    for (const auto& s : it->second.samples)
      if (s.labels == labels) return &s;
    return nullptr;
  }
};

bool is_metric_name(std::string_view s) {
  if (s.empty()) return false;
  auto start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  if (!start(s[0])) return false;
  for (char c : s)
    if (!(start(c) || std::isdigit(static_cast<unsigned char>(c)))) return false;
  return true;
}
bool is_label_name(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// Sample values are Go ParseFloat syntax; what a writer may emit: decimal numbers with an
// optional exponent, NaN, +Inf, -Inf (Inf without a sign too).
std::optional<double> parse_value(const std::string& s) {
  if (s == "NaN") return std::nan("");
  if (s == "+Inf" || s == "Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s.empty()) return std::nullopt;
  for (char c : s)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
          c == '+' || c == '-'))
      return std::nullopt;
  std::size_t used = 0;
  try {
    double v = std::stod(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// Throws std::runtime_error naming the line and the broken rule.
Exposition parse_exposition(const std::string& text) {
  Exposition e;
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("last line has no line feed");
  std::istringstream in(text);
  std::string line;
  int n = 0;
  std::string current;               // family whose samples are being read
  std::set<std::string> closed;      // families whose samples ended: must not come back
  std::set<std::string> series;      // name + labels, each once
  auto fail = [&](const std::string& why) {
    throw std::runtime_error("line " + std::to_string(n) + ": " + why + ": " + line);
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line.substr(1));
      std::string kind, name;
      words >> kind >> name;
      if (kind != "HELP" && kind != "TYPE") continue;  // other comments are allowed
      if (!is_metric_name(name)) fail("bad metric name in " + kind);
      Family& f = e.families[name];
      if (kind == "TYPE") {
        std::string type, extra;
        words >> type >> extra;
        if (!extra.empty()) fail("text after the type");
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (!kTypes.count(type)) fail("unknown type");
        if (!f.type.empty()) fail("second TYPE line for the metric");
        if (!f.samples.empty()) fail("TYPE after the metric's samples");
        f.type = type;
      } else {
        // "# HELP name text": the text is everything after one space; escapes \\ and \n only.
        std::size_t at = line.find(name) + name.size();
        std::string raw = at < line.size() ? line.substr(at + 1) : "";
        if (!f.help.empty()) fail("second HELP line for the metric");
        std::string help;
        for (std::size_t i = 0; i < raw.size(); ++i) {
          if (raw[i] != '\\') {
            help += raw[i];
            continue;
          }
          if (++i >= raw.size()) fail("dangling backslash in HELP");
          if (raw[i] == '\\') help += '\\';
          else if (raw[i] == 'n') help += '\n';
          else fail("bad escape in HELP");
        }
        f.help = help.empty() ? " " : help;
      }
      if (std::find(e.order.begin(), e.order.end(), name) == e.order.end()) e.order.push_back(name);
      continue;
    }
    // name[{labels}] value [timestamp]
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    Sample s;
    s.name = line.substr(0, i);
    if (!is_metric_name(s.name)) fail("bad metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        std::size_t eq = line.find('=', i);
        if (eq == std::string::npos) fail("label without '='");
        std::string lname = line.substr(i, eq - i);
        if (!is_label_name(lname)) fail("bad label name '" + lname + "'");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') fail("label value not quoted");
        ++i;
        std::string value;
        bool closed_quote = false;
        for (; i < line.size(); ++i) {
          char c = line[i];
          if (c == '"') {
            closed_quote = true;
            ++i;
            break;
          }
          if (c == '\\') {
            if (++i >= line.size()) fail("dangling backslash");
            if (line[i] == '\\') value += '\\';
            else if (line[i] == '"') value += '"';
            else if (line[i] == 'n') value += '\n';
            else fail("bad escape in label value");
          } else {
            value += c;
          }
        }
        if (!closed_quote) fail("unterminated label value");
        if (!s.labels.emplace(lname, value).second) fail("label '" + lname + "' twice");
        if (i < line.size() && line[i] == ',') ++i;
        else if (i < line.size() && line[i] == '}') continue;
        else fail("expected ',' or '}' after a label");
      }
    }
    if (i >= line.size() || line[i] != ' ') fail("no space before the value");
    std::istringstream rest(line.substr(i + 1));
    std::string value, timestamp, extra;
    rest >> value >> timestamp >> extra;
    if (!extra.empty()) fail("text after the timestamp");
    auto v = parse_value(value);
    if (!v) fail("bad value '" + value + "'");
    s.value = *v;
    // 0.0.4: counter and gauge samples carry the family's own name.
    const std::string& family = s.name;
    if (family != current) {
      if (closed.count(family)) fail("samples of '" + family + "' are not together");
      if (!current.empty()) closed.insert(current);
      current = family;
    }
    std::string key = s.name;
    for (const auto& [k, val] : s.labels) key += "|" + k + "=" + val;
    if (!series.insert(key).second) fail("the same series twice");
    Family& f = e.families[family];
    if (f.type.empty()) f.type = "untyped";
    f.samples.push_back(std::move(s));
    if (std::find(e.order.begin(), e.order.end(), family) == e.order.end()) e.order.push_back(family);
  }
  return e;
}

// The parser itself must reject what Prometheus rejects, or the checks below prove nothing.
TEST(PrometheusParser, RejectsBrokenExpositions) {
  const std::vector<std::string> broken = {
      "a 1",                                               // no final line feed
      "# TYPE a counter\n# TYPE a counter\na 1\n",         // TYPE twice
      "a 1\n# TYPE a counter\n",                           // TYPE after samples
      "a{x=\"1\"} 1\nb 2\na{x=\"2\"} 3\n",                 // family interleaved
      "a{x=\"1\"} 1\na{x=\"1\"} 2\n",                      // same series twice
      "a{x=\"a\"b\"} 1\n",                                 // unescaped quote
      "a{x=\"\\t\"} 1\n",                                  // unknown escape
      "a{x=1} 1\n",                                        // unquoted value
      "a{__x=\"1\",x=\"1\",x=\"2\"} 1\n",                  // label twice
      "1a 1\n",                                            // bad metric name
      "a one\n",                                           // bad value
      "# TYPE a countr\na 1\n",                            // unknown type
  };
  for (const auto& text : broken) EXPECT_ANY_THROW(parse_exposition(text)) << text;
  EXPECT_NO_THROW(parse_exposition("# HELP a x\\\\y\\nz\n# TYPE a gauge\na{b=\"\\\\\\\"\\n\"} -Inf\n\n"));
}

// ---------------------------------------------------------------------------------------------
// The writer.

TEST(PrometheusText, Names) {
  EXPECT_TRUE(valid_metric_name("wgd_peers"));
  EXPECT_TRUE(valid_metric_name("a:b_c9"));
  EXPECT_FALSE(valid_metric_name("9a"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_TRUE(valid_label_name("public_key"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("1a"));
}

TEST(PrometheusText, EscapesLabelValuesAndHelpSoTheyReadBack) {
  const std::string nasty = "back\\slash \"quoted\"\nnew line, unicode ü, {braces}=,";
  PrometheusText m;
  m.family("t_metric", MetricType::kGauge, "help with \\ and\nline feed");
  m.sample({{"v", nasty}, {"w", ""}}, 1.5);
  m.sample({{"v", "plain"}, {"w", "x"}}, std::uint64_t{18446744073709551615u});
  auto e = parse_exposition(m.text());
  const Family& f = e.families.at("t_metric");
  EXPECT_EQ(f.type, "gauge");
  EXPECT_EQ(f.help, "help with \\ and\nline feed");
  ASSERT_EQ(f.samples.size(), 2u);
  EXPECT_EQ(f.samples[0].labels.at("v"), nasty);
  EXPECT_EQ(f.samples[0].labels.at("w"), "");
  EXPECT_EQ(f.samples[0].value, 1.5);
  EXPECT_NE(m.text().find("w=\"x\"} 18446744073709551615\n"), std::string::npos)
      << "64-bit counters are written exactly, not rounded through a double";
}

TEST(PrometheusText, Values) {
  EXPECT_EQ(format_value(0.0), "0");
  EXPECT_EQ(format_value(2.5), "2.5");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
  for (double v : {0.1, 1e-7, 123456.789, 1e300}) EXPECT_EQ(*parse_value(format_value(v)), v);
}

TEST(PrometheusTextDeathTest, MisuseIsAProgrammingError) {
  EXPECT_DEATH(
      {
        PrometheusText m;
        m.family("a", MetricType::kGauge, "x");
        m.family("a", MetricType::kGauge, "x");
      },
      "exposed twice");
  EXPECT_DEATH(
      {
        PrometheusText m;
        m.family("a-b", MetricType::kGauge, "x");
      },
      "invalid metric name");
}

// ---------------------------------------------------------------------------------------------
// render_metrics against a fake service.

class FakePeers : public PeerService {
 public:
  std::vector<PeerView> peers;
  ServerStatus st;
  std::size_t max_page = 0;  // > 0: the service never answers more than this per call
  int list_calls = 0;

  Result<PeerView> create(NewPeer) override { return failf("not in this fake"); }
  Result<PeerListView> list(const PeerFilter& f) override {
    ++list_calls;
    PeerListView out;
    out.total = static_cast<std::int64_t>(peers.size());
    std::size_t limit = f.limit == 0 ? peers.size() : f.limit;
    if (max_page) limit = std::min(limit, max_page);
    for (std::size_t i = f.offset; i < peers.size() && out.peers.size() < limit; ++i)
      out.peers.push_back(PeerView{peers[i].record.clone(), peers[i].live});
    return out;
  }
  Result<PeerView> get(const PeerRef&) override { return failf("not in this fake"); }
  Result<PeerView> update(const PeerRef&, const PeerUpdate&) override { return failf("no"); }
  Result<void> remove(const PeerRef&) override { return failf("no"); }
  Result<PeerView> set_enabled(const PeerRef&, bool) override { return failf("no"); }
  Result<std::string> client_config(const PeerRef&) override { return failf("no"); }
  ServerInfo server_info() override { return ServerInfo{}; }
  Result<ServerStatus> status() override {
    ServerStatus copy;
    copy.server.version = st.server.version;
    copy.server.interface = st.server.interface;
    copy.peers_total = st.peers_total;
    copy.peers_enabled = st.peers_enabled;
    copy.peers_active = st.peers_active;
    copy.peers_connected = st.peers_connected;
    copy.interface_up = st.interface_up;
    return copy;
  }
  Result<wg::DeviceStatus> interface_status() override { return failf("no"); }

  void add(std::string name, std::uint8_t key_byte, std::uint64_t rx, std::uint64_t tx,
           std::int64_t handshake) {
    PeerView v;
    v.record.id = static_cast<std::int64_t>(peers.size() + 1);
    v.record.name = std::move(name);
    v.record.public_key.fill(key_byte);
    v.live.on_interface = true;
    v.live.rx_bytes = rx;
    v.live.tx_bytes = tx;
    v.live.latest_handshake = handshake;
    peers.push_back(std::move(v));
  }
};

TEST(MetricsRender, ExposesEveryFamilyWithTheServicesValues) {
  FakePeers svc;
  svc.add("alice", 1, 1000, 2000, 1700000000);
  svc.add("bob", 2, 0, 0, 0);
  svc.add("carol.site", 3, 1ull << 40, 5, 1700000100);
  svc.st.server.version = "0.1.0 \"dev\"";
  svc.st.server.interface = "wg0";
  svc.st.peers_total = 3;
  svc.st.peers_enabled = 2;
  svc.st.peers_active = 2;
  svc.st.peers_connected = 1;
  svc.st.interface_up = true;
  ApiCounters counters;
  counters.requests = 42;
  counters.errors = 7;
  counters.auth_failures = 3;

  auto text = render_metrics(svc, counters);
  ASSERT_TRUE(text) << text.error().message;
  Exposition e = parse_exposition(*text);

  for (const char* name : {"wgd_peers", "wgd_peer_receive_bytes_total",
                           "wgd_peer_transmit_bytes_total", "wgd_peer_latest_handshake_seconds",
                           "wgd_api_requests_total", "wgd_api_errors_total",
                           "wgd_api_auth_failures_total", "wgd_build_info", "wgd_interface_up"}) {
    ASSERT_TRUE(e.families.count(name)) << name << " missing from\n" << *text;
    const Family& f = e.families.at(name);
    EXPECT_FALSE(f.help.empty()) << name << " has no HELP";
    EXPECT_NE(f.type, "untyped") << name << " has no TYPE";
    // Counters end in _total; nothing else does.
    EXPECT_EQ(f.type == "counter", std::string_view(name).ends_with("_total")) << name;
  }
  EXPECT_EQ(e.find("wgd_peers", {{"state", "total"}})->value, 3);
  EXPECT_EQ(e.find("wgd_peers", {{"state", "enabled"}})->value, 2);
  EXPECT_EQ(e.find("wgd_peers", {{"state", "active"}})->value, 2);
  EXPECT_EQ(e.find("wgd_peers", {{"state", "connected"}})->value, 1);
  const std::string alice_key = crypto::key_to_base64(svc.peers[0].record.public_key);
  const std::string carol_key = crypto::key_to_base64(svc.peers[2].record.public_key);
  EXPECT_EQ(e.find("wgd_peer_receive_bytes_total", {{"name", "alice"}, {"public_key", alice_key}})->value, 1000);
  EXPECT_EQ(e.find("wgd_peer_transmit_bytes_total", {{"name", "alice"}, {"public_key", alice_key}})->value, 2000);
  EXPECT_EQ(e.find("wgd_peer_latest_handshake_seconds", {{"name", "alice"}, {"public_key", alice_key}})->value,
            1700000000);
  EXPECT_EQ(e.find("wgd_peer_receive_bytes_total", {{"name", "carol.site"}, {"public_key", carol_key}})->value,
            static_cast<double>(1ull << 40));
  EXPECT_EQ(e.families.at("wgd_peer_latest_handshake_seconds").samples.size(), 3u);
  EXPECT_EQ(e.find("wgd_api_requests_total", {})->value, 42);
  EXPECT_EQ(e.find("wgd_api_errors_total", {})->value, 7);
  EXPECT_EQ(e.find("wgd_api_auth_failures_total", {})->value, 3);
  EXPECT_EQ(e.find("wgd_build_info", {{"version", "0.1.0 \"dev\""}})->value, 1);
  EXPECT_EQ(e.find("wgd_interface_up", {{"interface", "wg0"}})->value, 1);
}

TEST(MetricsRender, PagesThroughAServiceThatCapsItsAnswers) {
  FakePeers svc;
  for (int i = 0; i < 7; ++i) svc.add("p" + std::to_string(i), static_cast<std::uint8_t>(i + 1), i, i, 0);
  svc.max_page = 3;
  ApiCounters counters;
  auto text = render_metrics(svc, counters);
  ASSERT_TRUE(text) << text.error().message;
  Exposition e = parse_exposition(*text);
  EXPECT_EQ(e.families.at("wgd_peer_receive_bytes_total").samples.size(), 7u);
  EXPECT_GE(svc.list_calls, 3);
}

TEST(MetricsRender, NoPeersStillAValidExposition) {
  FakePeers svc;
  ApiCounters counters;
  auto text = render_metrics(svc, counters);
  ASSERT_TRUE(text);
  Exposition e = parse_exposition(*text);
  EXPECT_EQ(e.find("wgd_peers", {{"state", "total"}})->value, 0);
  EXPECT_TRUE(e.families.at("wgd_peer_receive_bytes_total").samples.empty());
}

}  // namespace
}  // namespace wgd::serve::api
