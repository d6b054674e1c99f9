#include "runtime/port_check.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.h"

namespace rad {

caf::error check_port_free(const std::string& bind, uint16_t port, const std::string& what,
                           const std::string& flag) {
  std::string where = bind + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (::getaddrinfo(bind.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    return make_error(Errc::invalid_input, "cannot resolve bind address '" + bind +
                                               "'; set --bind to an address of this host");
  int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return make_error(Errc::io_error,
                      "cannot create a socket: " + std::string{std::strerror(errno)});
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = ::bind(fd, found->ai_addr, found->ai_addrlen);
  int saved = errno;
  ::close(fd);
  ::freeaddrinfo(found);
  if (rc == 0) return caf::none;
  if (saved == EADDRINUSE)
    return make_error(
        Errc::in_use,
        what + " " + where + " is in use; stop the process using it or pick another --" + flag);
  if (saved == EADDRNOTAVAIL)
    return make_error(Errc::invalid_input,
                      bind + " is not an address of this host; set --bind to one that is");
  if (saved == EACCES)
    return make_error(Errc::invalid_input,
                      "not allowed to listen on " + where +
                          " (ports below 1024 need privileges); pick another --" + flag);
  return make_error(Errc::io_error, "cannot listen on " + where + ": " + std::strerror(saved));
}

}  // namespace rad
