#include "common/sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/os.h"

namespace alfs {

namespace {
sockaddr_in ipv4(uint32_t address, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = address;
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}
}  // namespace

UniqueFd listen_tcp(const std::string& address, int port, bool nonblocking) {
  std::string where = address + ":" + std::to_string(port);
  sockaddr_in a = ipv4(0, port);
  if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1)
    throw Error("bad bind address '" + address + "': expected an IPv4 address such as 127.0.0.1");
  UniqueFd s = open_socket(AF_INET, SOCK_STREAM, 0, nonblocking);
  if (!s) throw SystemError("socket for " + where);
  int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw SystemError(port == 0 ? "no free port on " + address : "cannot listen on " + where);
  if (::listen(s.get(), 16) != 0) throw SystemError("listen on " + where);
  return s;
}

int local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) throw SystemError("getsockname");
  return ntohs(a.sin_port);
}

UniqueFd connect_loopback(int port, const char* source) {
  UniqueFd s = open_socket(AF_INET, SOCK_STREAM, 0);
  if (!s) return UniqueFd();
  if (source) {
    sockaddr_in from = ipv4(0, 0);
    if (::inet_pton(AF_INET, source, &from.sin_addr) != 1) {
      errno = EINVAL;
      return UniqueFd();
    }
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) return UniqueFd();
  }
  sockaddr_in a = ipv4(htonl(INADDR_LOOPBACK), port);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return s;
  return UniqueFd();
}

UniqueFd connect_unix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) throw Error("socket path too long: " + path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd s = open_socket(AF_UNIX, SOCK_STREAM, 0, /*nonblocking=*/true);
  if (!s) throw SystemError("socket");
  // A unix socket connects at once or not at all (no EINPROGRESS for a listening peer).
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw SystemError("cannot connect to " + path);
  return s;
}

}  // namespace alfs
