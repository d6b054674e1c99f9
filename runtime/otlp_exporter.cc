#include "runtime/otlp_exporter.h"

#include <httplib.h>

#include "runtime/error.h"
#include "runtime/logging.h"
#include "runtime/otlp_json.h"

namespace rad {

caf::expected<std::unique_ptr<OtlpExporter>> OtlpExporter::start(const std::string& endpoint,
                                                                 std::string node) {
  auto bad = [&] {
    return make_error(
        Errc::invalid_input,
        "trace.otlp_endpoint '" + endpoint +
            "' is not an http:// URL with a path, e.g. http://127.0.0.1:4318/v1/traces");
  };
  auto scheme = endpoint.find("://");
  if (endpoint.rfind("http://", 0) != 0 || scheme == std::string::npos) return bad();
  auto slash = endpoint.find('/', scheme + 3);
  if (slash == std::string::npos || slash == scheme + 3) return bad();
  std::unique_ptr<OtlpExporter> exporter{
      new OtlpExporter{endpoint.substr(0, slash), endpoint.substr(slash), std::move(node)}};
  if (!httplib::Client{exporter->base_}.is_valid()) return bad();
  exporter->thread_ = std::thread{[e = exporter.get()] { e->loop(); }};
  return exporter;
}

OtlpExporter::OtlpExporter(std::string base, std::string path, std::string node)
    : base_(std::move(base)), path_(std::move(path)), node_(std::move(node)) {}

OtlpExporter::~OtlpExporter() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void OtlpExporter::offer(const v1::Span& span) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (queue_.size() >= kQueueLimit) {
      ++dropped_;
      return;
    }
    queue_.push_back(span);
    wake = queue_.size() == kBatch;
  }
  if (wake) wake_.notify_one();
}

void OtlpExporter::loop() {
  std::unique_lock<std::mutex> lock{mutex_};
  for (;;) {
    wake_.wait_for(lock, kInterval, [&] { return stopping_ || queue_.size() >= kBatch; });
    while (!queue_.empty()) {
      std::vector<v1::Span> batch;
      while (!queue_.empty() && batch.size() < kBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      // The network is used without the lock: offer() never waits for it.
      lock.unlock();
      send(batch);
      lock.lock();
      if (!stopping_ && queue_.size() < kBatch) break;
    }
    if (stopping_ && queue_.empty()) return;
  }
}

void OtlpExporter::send(std::vector<v1::Span>& batch) {
  httplib::Client client{base_};
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(5, 0);
  client.set_write_timeout(5, 0);
  auto res = client.Post(path_.c_str(), otlp_json(batch, node_), "application/json");
  bool ok = res && res->status >= 200 && res->status < 300;
  (ok ? exported_ : failed_) += batch.size();
  if (ok == !failing_) return;
  failing_ = !ok;
  auto log = logger("trace");
  if (ok)
    log->info("OTLP export to {}{} works again", base_, path_);
  else
    log->warn("OTLP export to {}{} failed ({}); spans are dropped until it works", base_, path_,
              res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error()));
}

}  // namespace rad
