// Wall-clock time as protobuf Timestamps, at full precision (protobuf 3.21's
// TimeUtil::GetCurrentTime() drops the fraction of a second).
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <chrono>

namespace rad {

inline google::protobuf::Timestamp to_timestamp(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  google::protobuf::Timestamp out;
  out.set_seconds(ns / 1000000000);
  out.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return out;
}

inline google::protobuf::Timestamp now_timestamp() {
  return to_timestamp(std::chrono::system_clock::now());
}

}  // namespace rad
