#include "instance/ports.h"

#include "common/fd.h"
#include "common/sockets.h"

namespace alfs {

std::vector<int> pick_free_ports(const std::string& address, int count) {
  // All sockets stay open until every port is known, so the kernel hands out distinct ones.
  std::vector<UniqueFd> held;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    held.push_back(listen_tcp(address, 0));
    ports.push_back(local_port(held.back().get()));
  }
  return ports;
}

}  // namespace alfs
