// How errors become HTTP answers: a status a client can act on, a JSON body.
#include "runtime/http_json.h"

#include <gtest/gtest.h>

#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace rad {
namespace {

TEST(HttpJson, ErrorsBecomeStatusesAClientCanActOn) {
  EXPECT_EQ(error_response(make_error(Errc::invalid_input, "bad")).status, 400);
  EXPECT_EQ(error_response(make_error(Errc::not_found, "gone")).status, 404);
  EXPECT_EQ(error_response(make_error(Errc::in_use, "busy")).status, 409);
  EXPECT_EQ(error_response(make_error(Errc::unavailable, "later")).status, 503);
  auto late = error_response(caf::make_error(caf::sec::request_timeout));
  EXPECT_EQ(late.status, 504) << "a timeout is the gateway's, not an internal error";
  EXPECT_EQ(nlohmann::json::parse(late.body).at("error"),
            "the node did not answer in time (it is busy); try again");
}

}  // namespace
}  // namespace rad
