// Sends spans to an OTLP/HTTP collector as JSON from a thread of its own:
// every second, or sooner once kBatch spans wait. Actors only queue (offer()
// never blocks on the network); the queue is bounded and a span that finds it
// full is dropped and counted. A collector that fails is logged once per
// change (not per batch) and its spans are counted as failed: a trace is not
// worth a retry buffer.
#pragma once

#include <atomic>
#include <caf/expected.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rad/v1/trace.pb.h"

namespace rad {

class OtlpExporter {
 public:
  static constexpr size_t kBatch = 512;
  static constexpr size_t kQueueLimit = 16384;
  static constexpr auto kInterval = std::chrono::seconds{1};

  // `endpoint`: "http://host:port/v1/traces". invalid_input when it is not
  // such a URL.
  static caf::expected<std::unique_ptr<OtlpExporter>> start(const std::string& endpoint,
                                                            std::string node);
  // Sends what is queued (one try), then stops.
  ~OtlpExporter();
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void offer(const v1::Span& span);

  uint64_t exported() const { return exported_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t failed() const { return failed_; }

 private:
  OtlpExporter(std::string base, std::string path, std::string node);
  void loop();
  void send(std::vector<v1::Span>& batch);

  std::string base_, path_, node_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<v1::Span> queue_;
  bool stopping_ = false;
  bool failing_ = false;  // the last POST failed: logged once until one succeeds
  std::atomic<uint64_t> exported_{0}, dropped_{0}, failed_{0};
  std::thread thread_;
};

}  // namespace rad
