#include "runtime/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace rad {

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {}

prometheus::Gauge* single_gauge(prometheus::Registry& registry, const std::string& name,
                                const std::string& help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

void Metrics::add_collectable(std::shared_ptr<prometheus::Collectable> collectable) {
  std::lock_guard<std::mutex> guard{mutex_};
  collectables_.push_back(std::move(collectable));
}

std::string Metrics::render() const {
  auto families = registry_->Collect();
  {
    std::lock_guard<std::mutex> guard{mutex_};
    for (const auto& c : collectables_) {
      auto more = c->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, families);
  return out.str();
}

namespace {

prometheus::MetricFamily one_sample(const std::string& name, const std::string& help,
                                    prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  family.metric.emplace_back();
  return family;
}

}  // namespace

prometheus::MetricFamily gauge_family(const std::string& name, const std::string& help,
                                      double value) {
  auto family = one_sample(name, help, prometheus::MetricType::Gauge);
  family.metric[0].gauge.value = value;
  return family;
}

prometheus::MetricFamily labelled_gauge_family(
    const std::string& name, const std::string& help, const std::string& label,
    const std::vector<std::pair<std::string, double>>& samples) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Gauge;
  for (const auto& [value, sample] : samples) {
    prometheus::ClientMetric m;
    m.label.push_back({label, value});
    m.gauge.value = sample;
    family.metric.push_back(std::move(m));
  }
  return family;
}

prometheus::MetricFamily counter_family(const std::string& name, const std::string& help,
                                        double value) {
  auto family = one_sample(name, help, prometheus::MetricType::Counter);
  family.metric[0].counter.value = value;
  return family;
}

}  // namespace rad
