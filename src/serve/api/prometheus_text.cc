#include "serve/api/prometheus_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace wgd::serve::api {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

[[noreturn]] void misuse(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "PrometheusText: %.*s: '%.*s'\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(name.size()), name.data());
  std::abort();
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(name_start(name[0]) || name[0] == ':')) return false;
  for (char c : name)
    if (!(name_char(c) || c == ':')) return false;
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !name_start(name[0]) || name.starts_with("__")) return false;
  for (char c : name)
    if (!name_char(c)) return false;
  return true;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void PrometheusText::family(std::string_view name, MetricType type, std::string_view help) {
  if (!valid_metric_name(name)) misuse("invalid metric name", name);
  if (!seen_.emplace(name).second) misuse("metric family exposed twice", name);
  current_ = name;
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name,
                      type == MetricType::kCounter ? "counter" : "gauge");
}

void PrometheusText::sample(std::initializer_list<Label> labels, std::uint64_t value) {
  sample_line(labels, fmt::format("{}", value));
}
void PrometheusText::sample(std::initializer_list<Label> labels, std::int64_t value) {
  sample_line(labels, fmt::format("{}", value));
}
void PrometheusText::sample(std::initializer_list<Label> labels, double value) {
  sample_line(labels, format_value(value));
}

void PrometheusText::sample_line(std::initializer_list<Label> labels, std::string_view value) {
  if (current_.empty()) misuse("sample before any family", "");
  out_ += current_;
  if (labels.size() != 0) {
    out_ += '{';
    bool first = true;
    for (const Label& l : labels) {
      if (!valid_label_name(l.name)) misuse("invalid label name", l.name);
      if (!first) out_ += ',';
      first = false;
      out_ += fmt::format("{}=\"{}\"", l.name, escape_label_value(l.value));
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

}  // namespace wgd::serve::api
