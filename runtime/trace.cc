#include "runtime/trace.h"

#include <cstdint>
#include <random>

namespace rad {
namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

void append_hex(std::string& out, uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; --i, value >>= 4) buf[i] = kDigits[value & 0xf];
  out.append(buf, 16);
}

uint64_t nonzero_random() {
  uint64_t v = 0;
  while (v == 0) v = rng()();
  return v;
}

bool all_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

std::string make(std::string_view trace_id, std::string_view flags) {
  std::string out = "00-";
  out.append(trace_id);
  out += '-';
  append_hex(out, nonzero_random());
  out += '-';
  out.append(flags);
  return out;
}

}  // namespace

std::string new_traceparent(bool sampled) {
  std::string trace_id;
  append_hex(trace_id, nonzero_random());
  append_hex(trace_id, rng()());
  return make(trace_id, sampled ? "01" : "00");
}

std::string child_traceparent(std::string_view parent) {
  if (!valid_traceparent(parent)) return new_traceparent();
  return make(parent.substr(3, 32), parent.substr(53, 2));
}

std::string make_traceparent(std::string_view trace_id, std::string_view span_id, bool sampled) {
  std::string out;
  out.reserve(55);
  out.append("00-").append(trace_id).append("-").append(span_id).append(sampled ? "-01" : "-00");
  return out;
}

std::string span_id_of(std::string_view traceparent) {
  if (!valid_traceparent(traceparent)) return {};
  return std::string{traceparent.substr(36, 16)};
}

bool sampled(std::string_view t) {
  // The sampled bit is the lowest of the flags' second hex digit.
  if (!valid_traceparent(t)) return false;
  char low = t[54];
  int v = low <= '9' ? low - '0' : low - 'a' + 10;
  return (v & 1) != 0;
}

bool valid_traceparent(std::string_view t) {
  // 2 version + 1 + 32 trace id + 1 + 16 span id + 1 + 2 flags.
  if (t.size() != 55 || t.substr(0, 3) != "00-" || t[35] != '-' || t[52] != '-') return false;
  auto trace_id = t.substr(3, 32), span_id = t.substr(36, 16), flags = t.substr(53, 2);
  return all_hex(trace_id) && all_hex(span_id) && all_hex(flags) && !all_zero(trace_id) &&
         !all_zero(span_id);
}

std::string trace_id_of(std::string_view traceparent) {
  if (!valid_traceparent(traceparent)) return {};
  return std::string{traceparent.substr(3, 32)};
}

}  // namespace rad
