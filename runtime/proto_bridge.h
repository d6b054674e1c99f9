// Carries any protobuf message inside a CAF message.
//
//   self->send(node, rad::Proto<v1::Ping>{ping});
//   [](const rad::Proto<v1::Pong>& pong) { ... pong.value.node().name() ... }
//
// Inside one process the message travels as a C++ value. Across nodes CAF's
// serializer writes it as its protobuf wire format (a length-prefixed string),
// so there is no hand-written serialization and the schema can evolve by the
// usual protobuf rules. Each type is registered once with the actor system
// (runtime/protocol.h), under its protobuf full name.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/util/message_differencer.h>

#include <caf/deserializer.hpp>
#include <caf/detail/stringification_inspector.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <string>
#include <type_traits>
#include <utility>

#include "runtime/link_traffic.h"

namespace rad {

template <class T>
struct Proto {
  static_assert(std::is_base_of<google::protobuf::Message, T>::value,
                "Proto<T> carries protobuf messages only");

  T value;

  Proto() = default;
  explicit Proto(T v) : value(std::move(v)) {}

  friend bool operator==(const Proto& a, const Proto& b) {
    return google::protobuf::util::MessageDifferencer::Equals(a.value, b.value);
  }
  friend bool operator!=(const Proto& a, const Proto& b) { return !(a == b); }
};

template <class T>
Proto<std::decay_t<T>> proto(T&& value) {
  return Proto<std::decay_t<T>>{std::forward<T>(value)};
}

// Only peers' messages are serialized: runtime/link_traffic.h counts them.
inline void count_sent(size_t bytes) {
  auto& t = link_traffic();
  t.messages_sent.fetch_add(1, std::memory_order_relaxed);
  t.bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
}

inline void count_received(size_t bytes) {
  auto& t = link_traffic();
  t.messages_received.fetch_add(1, std::memory_order_relaxed);
  t.bytes_received.fetch_add(bytes, std::memory_order_relaxed);
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, Proto<T>& x) {
  // full_name() lives as long as the generated descriptor pool: the process.
  const char* name = T::descriptor()->full_name().c_str();
  if constexpr (std::is_same<Inspector, caf::detail::stringification_inspector>::value) {
    // Logs and to_string() show the fields, not the wire bytes.
    std::string text = x.value.ShortDebugString();
    return f(caf::meta::type_name(name), text);
  } else if constexpr (Inspector::reads_state) {
    std::string bytes;
    if (!x.value.SerializeToString(&bytes)) return caf::make_error(caf::sec::invalid_argument);
    count_sent(bytes.size());
    return f(caf::meta::type_name(name), bytes);
  } else {
    std::string bytes;
    auto parse = caf::meta::load_callback([&]() -> caf::error {
      if (!x.value.ParseFromString(bytes)) return caf::make_error(caf::sec::malformed_basp_message);
      count_received(bytes.size());
      return caf::none;
    });
    return f(caf::meta::type_name(name), bytes, parse);
  }
}

}  // namespace rad
