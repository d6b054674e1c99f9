// The node's Prometheus metrics: one registry, served as Prometheus text on
// GET /metrics of the node's --metrics-port. Components register their
// families on registry() and update them where things happen; what is read
// at scrape time (process, store, cluster link) comes from collectables.
//
//   auto metrics = std::make_shared<Metrics>();
//   auto& tasks =
//   prometheus::BuildCounter().Name("x_total").Help("...").Register(metrics->registry());
//   metrics->add_collectable(std::make_shared<ProcessMetrics>());
//   std::string text = metrics->render();
//
// Labels are of bounded cardinality only: never a run, story or attempt id.
#pragma once

#include <google/protobuf/generated_enum_reflection.h>
#include <prometheus/collectable.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/enum_word.h"

namespace rad {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Registry& registry() { return *registry_; }

  // Read at every scrape, from the scraping thread: it must be thread-safe.
  void add_collectable(std::shared_ptr<prometheus::Collectable> collectable);

  // Every family in Prometheus' text exposition format 0.0.4.
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
};

// A registered gauge family of one unlabelled gauge: the gauge.
prometheus::Gauge* single_gauge(prometheus::Registry& registry, const std::string& name,
                                const std::string& help);

// One gauge of `family` per value of the protobuf enum `Enum` but its 0
// (UNSPECIFIED), labelled state="WORD" (runtime/enum_word.h), indexed by the
// value: by_state[MEMBER_STATE_UP] is state="up".
template <class Enum, size_t N>
void add_gauge_per_state(prometheus::Family<prometheus::Gauge>& family,
                         std::array<prometheus::Gauge*, N>& by_state) {
  const auto* values = google::protobuf::GetEnumDescriptor<Enum>();
  for (int i = 0; i < values->value_count(); ++i)
    if (int number = values->value(i)->number(); number > 0 && static_cast<size_t>(number) < N)
      by_state[static_cast<size_t>(number)] =
          &family.Add({{"state", enum_word(values->value(i)->name())}});
}

// A family of one sample, for collectables.
prometheus::MetricFamily gauge_family(const std::string& name, const std::string& help,
                                      double value);
prometheus::MetricFamily counter_family(const std::string& name, const std::string& help,
                                        double value);
// A gauge family of one sample per value of `label`: {label value, sample}.
prometheus::MetricFamily labelled_gauge_family(
    const std::string& name, const std::string& help, const std::string& label,
    const std::vector<std::pair<std::string, double>>& samples);

// The content type of render()'s text.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace rad
