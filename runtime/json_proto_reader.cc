#include "runtime/json_proto_reader.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace rad {
namespace {

using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using nlohmann::json;

// What an error quotes of a value at most: input is echoed, never whole.
constexpr size_t kQuotedValueChars = 64;

// A JSON value that is not an object or a list.
struct Scalar {
  enum Kind { null, boolean, integer, unsigned_integer, floating, string } kind = null;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  const std::string* s = nullptr;

  // As an error quotes it: strings in JSON quotes, cut to a bound.
  std::string quoted() const {
    std::string out;
    switch (kind) {
      case null:
        return "null";
      case boolean:
        return b ? "true" : "false";
      case integer:
        return std::to_string(i);
      case unsigned_integer:
        return std::to_string(u);
      case floating:
        out = json(d).dump();
        break;
      case string:
        out = json(s->size() > kQuotedValueChars ? s->substr(0, kQuotedValueChars) + "..." : *s)
                  .dump(-1, ' ', false, json::error_handler_t::replace);
        break;
    }
    return out;
  }
};

template <class Int>
bool parse_whole(const std::string& s, Int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
}

// Whether `x`, an int64_t or a uint64_t, is a value of Int.
template <class Int, class From>
bool fits(From x) {
  using limits = std::numeric_limits<Int>;
  if constexpr (std::is_signed_v<From>)
    if (x < 0) return std::is_signed_v<Int> && x >= static_cast<int64_t>(limits::min());
  return static_cast<uint64_t>(x) <= static_cast<uint64_t>(limits::max());
}

// The value as an Int, if it is one: a JSON integer in range, an integral
// float in range, or a numeric string.
template <class Int>
std::optional<Int> as_integer(const Scalar& v) {
  switch (v.kind) {
    case Scalar::integer:
      if (fits<Int>(v.i)) return static_cast<Int>(v.i);
      break;
    case Scalar::unsigned_integer:
      if (fits<Int>(v.u)) return static_cast<Int>(v.u);
      break;
    case Scalar::floating: {
      // [min, 2^digits): both ends exact in a double.
      double lo = static_cast<double>(std::numeric_limits<Int>::min());
      double end = std::ldexp(1.0, std::numeric_limits<Int>::digits);
      if (std::isfinite(v.d) && std::floor(v.d) == v.d && v.d >= lo && v.d < end)
        return static_cast<Int>(v.d);
      break;
    }
    case Scalar::string: {
      Int out{};
      if (parse_whole(*v.s, out)) return out;
      break;
    }
    default:
      break;
  }
  return std::nullopt;
}

std::optional<double> as_double(const Scalar& v) {
  switch (v.kind) {
    case Scalar::integer:
      return static_cast<double>(v.i);
    case Scalar::unsigned_integer:
      return static_cast<double>(v.u);
    case Scalar::floating:
      return v.d;
    case Scalar::string: {
      if (*v.s == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (*v.s == "Infinity") return std::numeric_limits<double>::infinity();
      if (*v.s == "-Infinity") return -std::numeric_limits<double>::infinity();
      double out = 0;
      if (parse_whole(*v.s, out)) return out;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

const EnumValueDescriptor* as_enum(const FieldDescriptor& field, const Scalar& v) {
  const auto* type = field.enum_type();
  if (v.kind == Scalar::string) {
    if (const auto* exact = type->FindValueByName(*v.s)) return exact;
    for (int k = 0; k < type->value_count(); ++k) {
      const auto& name = type->value(k)->name();
      if (name.size() == v.s->size() &&
          std::equal(name.begin(), name.end(), v.s->begin(), [](char a, char b) {
            return std::toupper(static_cast<unsigned char>(a)) ==
                   std::toupper(static_cast<unsigned char>(b));
          }))
        return type->value(k);
    }
    return nullptr;
  }
  auto number = v.kind == Scalar::floating ? std::nullopt : as_integer<int32_t>(v);
  return number ? type->FindValueByNumber(*number) : nullptr;
}

// What a field takes, as its errors say; or one element of it.
std::string expected(const FieldDescriptor& field, bool element = false) {
  if (field.is_map() && !element) return "an object";
  if (field.is_repeated() && !element) return "a list";
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return "a 32-bit integer";
    case FieldDescriptor::CPPTYPE_UINT32:
      return "an unsigned 32-bit integer";
    case FieldDescriptor::CPPTYPE_INT64:
      return "a 64-bit integer";
    case FieldDescriptor::CPPTYPE_UINT64:
      return "an unsigned 64-bit integer";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case FieldDescriptor::CPPTYPE_STRING:
      return "a string";
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return "a number";
    case FieldDescriptor::CPPTYPE_ENUM: {
      std::string names;
      for (int k = 0; k < field.enum_type()->value_count(); ++k)
        names += (k ? ", " : "") + field.enum_type()->value(k)->name();
      return "one of " + names;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "an object";
  }
  return "another type";
}

// The fields this reader takes: what rad's messages use.
bool supported(const FieldDescriptor& field) {
  if (field.type() == FieldDescriptor::TYPE_BYTES || field.type() == FieldDescriptor::TYPE_GROUP)
    return false;
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
      field.message_type()->file()->package() == "google.protobuf" && !field.is_map())
    return false;
  if (field.is_map()) {
    const auto* key = field.message_type()->map_key();
    return key->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
           (field.message_type()->map_value()->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
            field.message_type()->map_value()->message_type()->file()->package() !=
                "google.protobuf");
  }
  return true;
}

class Reader : public nlohmann::json_sax<json> {
 public:
  explicit Reader(Message& root) : root_(root) {}

  std::string problem;

  bool null() override { return value(Scalar{}); }
  bool boolean(bool b) override {
    Scalar v{Scalar::boolean};
    v.b = b;
    return value(v);
  }
  bool number_integer(number_integer_t i) override {
    Scalar v{Scalar::integer};
    v.i = i;
    return value(v);
  }
  bool number_unsigned(number_unsigned_t u) override {
    Scalar v{Scalar::unsigned_integer};
    v.u = u;
    return value(v);
  }
  bool number_float(number_float_t d, const string_t&) override {
    Scalar v{Scalar::floating};
    v.d = d;
    return value(v);
  }
  bool string(string_t& s) override {
    Scalar v{Scalar::string};
    v.s = &s;
    return value(v);
  }
  bool binary(binary_t&) override { return fail("binary values are not JSON"); }

  bool start_object(std::size_t) override {
    if (stack_.empty()) {
      stack_.emplace_back(Frame::message, &root_, nullptr);
      return true;
    }
    auto& top = stack_.back();
    const FieldDescriptor* field = top.field;
    if (top.kind == Frame::message) {
      if (field->is_map()) {
        stack_.emplace_back(Frame::map, top.msg, field).reached = Frame::by_field;
        return true;
      }
      if (field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE)
        return wrong(*field, "an object");
      if (!oneof_free(top, *field)) return false;
      auto* sub = top.msg->GetReflection()->MutableMessage(top.msg, field);
      stack_.emplace_back(Frame::message, sub, nullptr).reached = Frame::by_field;
      return true;
    }
    if (top.kind == Frame::list) {
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE)
        return wrong(*field, "an object", true);
      auto* sub = top.msg->GetReflection()->AddMessage(top.msg, field);
      ++top.index;
      stack_.emplace_back(Frame::message, sub, nullptr).reached = Frame::by_index;
      return true;
    }
    const auto* value_field = field->message_type()->map_value();
    if (value_field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE)
      return wrong(*value_field, "an object");
    auto* entry = map_entry(top);
    auto* sub = entry->GetReflection()->MutableMessage(entry, value_field);
    stack_.emplace_back(Frame::message, sub, nullptr).reached = Frame::by_key;
    return true;
  }

  bool key(string_t& k) override {
    auto& top = stack_.back();
    if (top.kind == Frame::map) {
      if (!top.map_keys.insert(k).second) return fail("duplicate key '" + path(k) + "'");
      top.map_key = k;
      return true;
    }
    const auto* type = top.msg->GetDescriptor();
    const auto* field = type->FindFieldByName(k);
    if (!field) field = type->FindFieldByCamelcaseName(k);
    if (!field) return fail("unknown key '" + path(k) + "'");
    // Also a field given twice by its two names, which protobuf would resolve
    // silently to the last one.
    if (std::find(top.seen.begin(), top.seen.end(), field) != top.seen.end())
      return fail("duplicate key '" + path(k) + "'");
    top.seen.push_back(field);
    if (!supported(*field))
      return fail("key '" + path(field->name()) + "' is of a type rad does not read (" +
                  field->type_name() + ")");
    top.field = field;
    return true;
  }

  bool end_object() override { return up(); }

  bool start_array(std::size_t) override {
    if (stack_.empty()) return fail("expected a JSON object at the top level");
    auto& top = stack_.back();
    if (top.kind != Frame::message) {
      const auto* field =
          top.kind == Frame::map ? top.field->message_type()->map_value() : top.field;
      return wrong(*field, "a list", true);
    }
    if (!top.field->is_repeated() || top.field->is_map()) return wrong(*top.field, "a list");
    stack_.emplace_back(Frame::list, top.msg, top.field).reached = Frame::by_field;
    return true;
  }

  bool end_array() override { return up(); }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    for (auto& c : what)
      if (c == '\n' || c == '\r') c = ' ';
    while (!what.empty() && what.back() == ' ') what.pop_back();
    return fail(what);
  }

 private:
  struct Frame {
    enum Kind { message, list, map };
    // How its parent reached it: by the parent's field, as the parent list's
    // element, or as the value of the parent map's key. Paths are spelt out
    // from these only for an error.
    enum Reached { root, by_field, by_index, by_key };
    Frame(Kind k, Message* m, const FieldDescriptor* f) : kind(k), msg(m), field(f) {}
    Kind kind;
    Reached reached = root;
    Message* msg;                              // the message, or the owner of the list or map
    const FieldDescriptor* field;              // the key's field, or the list's or map's
    std::vector<const FieldDescriptor*> seen;  // a message's fields so far
    std::unordered_set<std::string> map_keys;  // a map's keys so far
    std::string map_key;                       // a map's, until its value
    int index = 0;                             // a list's elements so far
  };

  // The path of the top frame, then `last`: "waves[0].stories[2].mock".
  std::string path(const std::string& last = {}) const {
    std::string out;
    for (size_t f = 0; f + 1 < stack_.size(); ++f) {
      const auto& parent = stack_[f];
      switch (stack_[f + 1].reached) {
        case Frame::by_field:
          out += (out.empty() ? "" : ".") + parent.field->name();
          break;
        case Frame::by_index:
          out += "[" + std::to_string(parent.index - 1) + "]";
          break;
        case Frame::by_key:
          out += "." + parent.map_key;
          break;
        case Frame::root:
          break;
      }
    }
    if (!last.empty()) out += (out.empty() ? "" : ".") + last;
    return out;
  }

  // Where the value that comes next goes.
  std::string slot_path() const {
    const auto& top = stack_.back();
    if (top.kind == Frame::list) return path() + "[" + std::to_string(top.index) + "]";
    if (top.kind == Frame::map) return path(top.map_key);
    return path(top.field->name());
  }

  bool fail(std::string what) {
    if (problem.empty()) problem = std::move(what);
    return false;
  }

  bool wrong(const FieldDescriptor& field, const std::string& got, bool element = false) {
    return fail("key '" + slot_path() + "' expects " + expected(field, element) + ", got " + got);
  }

  bool up() {
    stack_.pop_back();
    return true;
  }

  // A field of a oneof may be set only when none of the others is.
  bool oneof_free(const Frame& top, const FieldDescriptor& field) {
    const auto* oneof = field.real_containing_oneof();
    if (!oneof) return true;
    const auto* set = top.msg->GetReflection()->GetOneofFieldDescriptor(*top.msg, oneof);
    if (!set || set == &field) return true;
    return fail("keys '" + path(set->name()) + "' and '" + path(field.name()) +
                "' exclude each other (one of " + oneof->name() + "): keep one");
  }

  Message* map_entry(Frame& top) {
    auto* entry = top.msg->GetReflection()->AddMessage(top.msg, top.field);
    const auto* key_field = top.field->message_type()->map_key();
    entry->GetReflection()->SetString(entry, key_field, top.map_key);
    return entry;
  }

  bool value(const Scalar& v) {
    if (stack_.empty()) return fail("expected a JSON object at the top level");
    auto& top = stack_.back();
    if (top.kind == Frame::map) {
      const auto* value_field = top.field->message_type()->map_value();
      if (v.kind == Scalar::null || value_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE)
        return wrong(*value_field, v.quoted());
      return set(*map_entry(top), *value_field, v, false);
    }
    if (top.kind == Frame::list) {
      if (v.kind == Scalar::null || top.field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE)
        return wrong(*top.field, v.quoted(), true);
      if (!set(*top.msg, *top.field, v, true)) return false;
      ++top.index;
      return true;
    }
    if (v.kind == Scalar::null) return true;  // the mapping's null: the field stays unset
    if (top.field->is_repeated() || top.field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE)
      return wrong(*top.field, v.quoted());
    if (!oneof_free(top, *top.field)) return false;
    return set(*top.msg, *top.field, v, false);
  }

  // One scalar into a field (added when `add`), converted as the mapping says.
  bool set(Message& msg, const FieldDescriptor& field, const Scalar& v, bool add) {
    const auto* r = msg.GetReflection();
    auto bad = [&] { return wrong(field, v.quoted(), add); };
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        auto n = as_integer<int32_t>(v);
        if (!n) return bad();
        add ? r->AddInt32(&msg, &field, *n) : r->SetInt32(&msg, &field, *n);
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        auto n = as_integer<int64_t>(v);
        if (!n) return bad();
        add ? r->AddInt64(&msg, &field, *n) : r->SetInt64(&msg, &field, *n);
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        auto n = as_integer<uint32_t>(v);
        if (!n) return bad();
        add ? r->AddUInt32(&msg, &field, *n) : r->SetUInt32(&msg, &field, *n);
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        auto n = as_integer<uint64_t>(v);
        if (!n) return bad();
        add ? r->AddUInt64(&msg, &field, *n) : r->SetUInt64(&msg, &field, *n);
        return true;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        auto d = as_double(v);
        if (!d) return bad();
        if (field.cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
          add ? r->AddDouble(&msg, &field, *d) : r->SetDouble(&msg, &field, *d);
        } else {
          if (std::isfinite(*d) && std::fabs(*d) > std::numeric_limits<float>::max()) return bad();
          add ? r->AddFloat(&msg, &field, static_cast<float>(*d))
              : r->SetFloat(&msg, &field, static_cast<float>(*d));
        }
        return true;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (v.kind != Scalar::boolean) return bad();
        add ? r->AddBool(&msg, &field, v.b) : r->SetBool(&msg, &field, v.b);
        return true;
      case FieldDescriptor::CPPTYPE_STRING:
        if (v.kind != Scalar::string) return bad();
        add ? r->AddString(&msg, &field, *v.s) : r->SetString(&msg, &field, *v.s);
        return true;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* e = as_enum(field, v);
        if (!e) return bad();
        add ? r->AddEnum(&msg, &field, e) : r->SetEnum(&msg, &field, e);
        return true;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return bad();
    }
    return bad();
  }

  Message& root_;
  std::vector<Frame> stack_;
};

}  // namespace

std::string read_json_into(std::string_view text, Message& out) {
  Reader reader{out};
  bool ok = json::sax_parse(text.begin(), text.end(), &reader);
  if (ok && reader.problem.empty()) return {};
  return reader.problem.empty() ? "not valid JSON" : reader.problem;
}

}  // namespace rad
