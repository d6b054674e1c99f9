#include "runtime/span_store.h"

namespace rad {

void SpanStore::add(const v1::Span& span) {
  if (max_traces_ == 0) return;
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = traces_.find(span.trace_id());
  if (it == traces_.end()) {
    while (order_.size() >= max_traces_) {
      traces_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(span.trace_id());
    it = traces_.emplace(span.trace_id(), Trace{}).first;
  }
  auto& trace = it->second;
  if (trace.spans.size() >= max_spans_ || !trace.ids.insert(span.span_id()).second) return;
  trace.spans.push_back(span);
}

std::vector<v1::Span> SpanStore::spans_of(const std::string& trace_id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = traces_.find(trace_id);
  return it == traces_.end() ? std::vector<v1::Span>{} : it->second.spans;
}

}  // namespace rad
