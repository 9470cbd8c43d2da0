// Prometheus text exposition format 0.0.4 (the format every Prometheus server and agent
// scrapes): "# HELP" and "# TYPE" once per metric family, before its samples; samples of a
// family together; label values escaped. The rules are kept here, in one writer, so the
// /metrics route only says what to expose.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wgd::serve::api {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge };

struct Label {
  std::string_view name;
  std::string_view value;
};

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus itself).
bool valid_label_name(std::string_view name);
// Label values: backslash, double quote and line feed escaped as \\ \" \n.
std::string escape_label_value(std::string_view value);
// HELP text: backslash and line feed escaped as \\ \n.
std::string escape_help(std::string_view text);
// Sample values: integers exactly, floats shortest round-trip, "NaN", "+Inf", "-Inf".
std::string format_value(double value);

class PrometheusText {
 public:
  // Opens a family. Names must be valid and not used before in this exposition (the writer
  // aborts on a programming error like that, since a scraper would reject the whole page).
  void family(std::string_view name, MetricType type, std::string_view help);
  // A sample of the family opened last.
  void sample(std::initializer_list<Label> labels, std::uint64_t value);
  void sample(std::initializer_list<Label> labels, std::int64_t value);
  void sample(std::initializer_list<Label> labels, double value);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void sample_line(std::initializer_list<Label> labels, std::string_view value);

  std::string out_;
  std::string current_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace wgd::serve::api
