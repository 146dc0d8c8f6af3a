#include "host/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/fd.h"

namespace alfs {

std::vector<int> pick_free_ports(const std::string& address, int count) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1)
    throw Error("bad bind address '" + address + "': expected an IPv4 address such as 127.0.0.1");
  // All sockets stay open until every port is known, so the kernel hands out distinct ones.
  std::vector<UniqueFd> held;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) throw SystemError("socket");
    addr.sin_port = 0;
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw SystemError("no free port on " + address);
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    ports.push_back(ntohs(bound.sin_port));
    held.push_back(std::move(s));
  }
  return ports;
}

}  // namespace alfs
