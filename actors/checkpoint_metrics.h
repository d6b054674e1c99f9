// The coordinator's checkpoint store:
//   rad_checkpoint_write_seconds            one group commit, fsync included
//   rad_checkpoint_batch_records            records per group commit
//   rad_checkpoint_store_bytes              table files and memtables (at scrape)
//   rad_checkpoint_pending_compaction_bytes RocksDB's estimate (at scrape)
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>

#include "persistence/store.h"

namespace rad {

class CheckpointMetrics {
 public:
  explicit CheckpointMetrics(prometheus::Registry& registry);
  void wrote(std::chrono::duration<double> took, size_t records);

 private:
  prometheus::Histogram* write_seconds_ = nullptr;
  prometheus::Histogram* batch_records_ = nullptr;
};

// Reads the store's sizes at each scrape; nothing once the store is closed.
class StoreMetrics : public prometheus::Collectable {
 public:
  explicit StoreMetrics(std::weak_ptr<const Store> store) : store_(std::move(store)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::weak_ptr<const Store> store_;
};

}  // namespace rad
