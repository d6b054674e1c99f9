#include "runtime/http_server.h"

#include <httplib.h>

#include <cctype>
#include <chrono>

#include "runtime/error.h"
#include "runtime/port_check.h"

namespace rad {

HttpServer::HttpServer(HttpServerOptions options)
    : options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  // An answer goes out in more than one write (headers, body): with Nagle's
  // algorithm, a keep-alive client's delayed ACK holds the second ~40 ms.
  server_->set_tcp_nodelay(true);
  // httplib's default is SO_REUSEPORT, which lets a second process listen on
  // the same port unnoticed; SO_REUSEADDR only lets us restart over TIME_WAIT.
  server_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& method, const std::string& pattern, HttpRoute handler) {
  auto adapter = [method, handler = std::move(handler)](const httplib::Request& req,
                                                        httplib::Response& res) {
    HttpRequest request{method, req.path, req.body, {}, {}, {}};
    for (size_t i = 1; i < req.matches.size(); ++i) request.params.push_back(req.matches[i]);
    for (const auto& [key, value] : req.params) request.query.emplace(key, value);
    for (const auto& [name, value] : req.headers) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace(std::move(lower), value);
    }
    auto response = handler(request);
    res.status = response.status;
    res.set_content(response.body, response.content_type.c_str());
  };
  if (method == "GET")
    server_->Get(pattern, adapter);
  else if (method == "POST")
    server_->Post(pattern, adapter);
  else if (method == "DELETE")
    server_->Delete(pattern, adapter);
}

caf::error HttpServer::start() {
  if (auto err = check_port_free(options_.bind, options_.port, "http port", "http-port"))
    return err;
  if (!server_->bind_to_port(options_.bind.c_str(), options_.port))
    return make_error(Errc::in_use,
                      "http port " + options_.bind + ":" + std::to_string(options_.port) +
                          " is in use; stop the process using it or pick another --http-port");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs: return only once it does,
  // or a stop right after start leaves the loop running and join() hangs.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  if (!server_->is_running()) return make_error(Errc::internal, "the http server did not start");
  return caf::none;
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace rad
