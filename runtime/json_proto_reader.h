// Reads the protobuf JSON mapping of a message in one SAX pass over the text:
// no document is built and no intermediate binary is written. protobuf's own
// JsonStringToMessage (3.21) took 71% of the time to submit a plan of a
// million stories (docs/BENCHMARKS.md); this reads the same text into the
// same message through reflection, several times faster.
//
// What it accepts is the mapping's, for the field types rad's messages use:
// keys by JSON name (lowerCamel) or proto name; nested messages, repeated
// fields, maps of string keys, oneofs; integers as JSON numbers or numeric
// strings (integral floats too), floating point as numbers, numeric strings
// or "NaN"/"Infinity"/"-Infinity"; enums by name (any case) or number; null
// for a field leaves it unset. Well-known types (Timestamp, Any, ...) and
// bytes are not read here: their fields are refused as of an unsupported type.
//
// What it refuses, each with one line naming the key by its path
// ("waves[0].stories[2].mock"): syntax errors (with line and column), a
// document that is not an object, duplicate keys, unknown keys, values of the
// wrong type or out of range, two fields of one oneof. Nesting is bounded by
// the message's own: the parser is iterative, and a frame is kept only per
// message, list or map the schema has at that key, so hostile nesting stops
// at its first level that does not fit.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

namespace rad {

// Fills `out` (not cleared first) from `text`; an empty string on success,
// else the problem, without the source's name.
std::string read_json_into(std::string_view text, google::protobuf::Message& out);

}  // namespace rad
