#include "client/submit_client.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "client/api_client.h"
#include "runtime/error.h"
#include "runtime/idempotency_key.h"

namespace rad {
namespace {

// The key as a shell word the user can paste back: quoted when it holds more
// than letters, digits and -._:
std::string shell_word(const std::string& key) {
  if (key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:") ==
      std::string::npos)
    return key;
  std::string out = "'";
  for (char c : key) out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

}  // namespace

caf::expected<Submitted> submit_plan(const std::string& api, const std::string& plan_json,
                                     std::string key, const SubmitRetries& retries) {
  if (key.empty()) key = new_idempotency_key();
  auto pause = retries.pause;
  caf::error last;
  for (int tries = 1;; ++tries) {
    auto answer = api_request("POST", api, "/v1/runs", plan_json, {{kIdempotencyKeyHeader, key}});
    if (answer) {
      auto json = nlohmann::json::parse(*answer, nullptr, false);
      if (!json.is_object() || !json.contains("runId") || !json["runId"].is_string())
        return make_error(Errc::protocol_error, "the API answered no run id: " + *answer);
      return Submitted{json["runId"].get<std::string>(),
                       json.contains("existing") && json["existing"] == true};
    }
    // An answer that refuses is final: trying again would be refused again
    // (a 503 too: nothing was made, and the node says when to come back).
    if (!is(answer.error(), Errc::unreachable)) return answer.error();
    last = answer.error();
    if (tries >= retries.tries) break;
    std::this_thread::sleep_for(pause);  // a pause between tries, not a wait for an event
    pause *= 2;
  }
  return make_error(Errc::unreachable, "submit not confirmed: " + error_message(last) +
                                           "; retry with --key " + shell_word(key) +
                                           " to be sure it runs once");
}

}  // namespace rad
