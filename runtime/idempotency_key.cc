#include "runtime/idempotency_key.h"

#include <random>

#include "runtime/error.h"

namespace rad {

caf::error check_idempotency_key(std::string_view key, std::string_view what) {
  auto refuse = [&](const std::string& why) {
    return make_error(Errc::invalid_input, std::string{what} + " " + why + "; use 1 to " +
                                               std::to_string(kMaxIdempotencyKeyBytes) +
                                               " printable ASCII characters, e.g. 32 hex digits");
  };
  if (key.empty()) return refuse("is empty");
  if (key.size() > kMaxIdempotencyKeyBytes)
    return refuse("is " + std::to_string(key.size()) + " bytes long");
  for (size_t i = 0; i < key.size(); ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x20 || c > 0x7e)
      return refuse("has a byte that is not printable ASCII (at " + std::to_string(i) + ")");
  }
  if (key.front() == ' ' || key.back() == ' ') return refuse("starts or ends with a space");
  return caf::none;
}

std::string new_idempotency_key() {
  static constexpr char kDigits[] = "0123456789abcdef";
  // random_device reads the kernel's generator: keys of two radctl processes
  // started in the same instant differ.
  std::random_device random;
  std::string key;
  for (int word = 0; word < 4; ++word) {
    uint32_t bits = random();
    for (int i = 0; i < 8; ++i, bits >>= 4) key += kDigits[bits & 0xf];
  }
  return key;
}

}  // namespace rad
