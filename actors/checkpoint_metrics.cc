#include "actors/checkpoint_metrics.h"

#include "runtime/metrics.h"

namespace rad {

CheckpointMetrics::CheckpointMetrics(prometheus::Registry& registry) {
  write_seconds_ = &prometheus::BuildHistogram()
                        .Name("rad_checkpoint_write_seconds")
                        .Help("Time of one checkpoint group commit, fsync included")
                        .Register(registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{
                                     0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  batch_records_ = &prometheus::BuildHistogram()
                        .Name("rad_checkpoint_batch_records")
                        .Help("Records written by one checkpoint group commit")
                        .Register(registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{
                                     1, 4, 16, 64, 256, 1024, 4096, 16384, 65536});
}

void CheckpointMetrics::wrote(std::chrono::duration<double> took, size_t records) {
  write_seconds_->Observe(took.count());
  batch_records_->Observe(static_cast<double>(records));
}

std::vector<prometheus::MetricFamily> StoreMetrics::Collect() const {
  auto store = store_.lock();
  if (!store) return {};
  return {
      gauge_family("rad_checkpoint_store_bytes", "Bytes of the checkpoint store's tables and memtables",
                   static_cast<double>(store->size_bytes())),
      gauge_family("rad_checkpoint_pending_compaction_bytes",
                   "Bytes RocksDB estimates its compactions still have to rewrite",
                   static_cast<double>(store->pending_compaction_bytes())),
  };
}

}  // namespace rad
