// A small HTTP/1.1 server (cpp-httplib) on its own threads: health endpoints
// on every node, the JSON API on the coordinator. Requests are bounded in
// size and time.
#pragma once

#include <caf/expected.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace rad {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string body;
  // Regex groups of the route pattern, in order.
  std::vector<std::string> params;
  // The query string's parameters; the first of a repeated one wins.
  std::map<std::string, std::string> query;
  // The request's headers by lower-case name (HTTP names are case-blind),
  // each value as sent; a repeated header has an entry per value.
  std::multimap<std::string, std::string> headers;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

using HttpRoute = std::function<HttpResponse(const HttpRequest&)>;

// Larger request bodies are answered 413; the largest is a plan
// (kMaxPlanBytes, runtime/plan_validation.h).
inline constexpr size_t kMaxHttpBodyBytes = 256u << 20;

struct HttpServerOptions {
  std::string bind = "127.0.0.1";
  uint16_t port = 3000;
  size_t max_body_bytes = kMaxHttpBodyBytes;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds a route before start(); `pattern` is a regex over the whole path.
  void route(const std::string& method, const std::string& pattern, HttpRoute handler);

  // Binds and serves in the background. Errc::in_use when the port is taken.
  caf::error start();

  // Stops serving and joins; idempotent.
  void stop();

 private:
  HttpServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace rad
