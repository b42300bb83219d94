#include "qiao/core/metrics.h"

#include <cstdio>

#include "qiao/core/log.h"

namespace qiao::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<int64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<int64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::vector<int64_t> Histogram::bucketCounts() const {
  std::vector<int64_t> out(bounds_.size() + 1);
  int64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

double Histogram::sum() const { return static_cast<double>(sum_us_.load()) / 1e6; }

std::string renderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += '=';
    log::appendJsonString(out, labels[i].second);
  }
  out += '}';
  return out;
}

Registry::Family& Registry::family(const std::string& name, const std::string& help,
                                   const char* type) {
  auto& f = families_[name];
  if (f.type.empty()) {
    f.help = help;
    f.type = type;
  }
  return f;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, help, "counter").counters[renderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, help, "gauge").gauges[renderLabels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, help, "histogram").histograms[renderLabels(labels)];
  if (!slot)
    slot = std::make_unique<Histogram>(std::vector<double>{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
  return *slot;
}

namespace {
// Inserts an extra label into a rendered label set: {a="1"} + le="0.5" -> {a="1",le="0.5"}.
std::string withLabel(const std::string& rendered, const std::string& extra) {
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}
}  // namespace

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  char num[64];
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    for (const auto& [labels, c] : f.counters)
      out += name + labels + " " + std::to_string(c->value()) + "\n";
    for (const auto& [labels, g] : f.gauges)
      out += name + labels + " " + std::to_string(g->value()) + "\n";
    for (const auto& [labels, h] : f.histograms) {
      auto counts = h->bucketCounts();
      for (size_t i = 0; i < counts.size(); ++i) {
        std::string le;
        if (i < h->bounds().size()) {
          std::snprintf(num, sizeof num, "%g", h->bounds()[i]);
          le = std::string("le=\"") + num + "\"";
        } else {
          le = "le=\"+Inf\"";
        }
        out += name + "_bucket" + withLabel(labels, le) + " " + std::to_string(counts[i]) + "\n";
      }
      std::snprintf(num, sizeof num, "%.6f", h->sum());
      out += name + "_sum" + labels + " " + num + "\n";
      out += name + "_count" + labels + " " + std::to_string(h->count()) + "\n";
    }
  }
  return out;
}

}  // namespace qiao::metrics
