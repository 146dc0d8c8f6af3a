// Stream sockets: TCP over IPv4 for the NFS forwards' two ends (vm/stream_forwards.h,
// guest/stream_relay.h), and unix-socket connections to what the VMM listens on.
#pragma once

#include <string>

#include "common/fd.h"

namespace alfs {

// A listening socket on address:port (port 0: the kernel picks, see local_port());
// throws Error naming the address and port.
UniqueFd listen_tcp(const std::string& address, int port, bool nonblocking = false);
// The port a socket is bound to.
int local_port(int fd);
// A connection to 127.0.0.1:port, from `source` (an address of the loopback interface)
// when given; invalid, with errno set, when refused.
UniqueFd connect_loopback(int port, const char* source = nullptr);
// A non-blocking connection to the unix socket at `path`; throws Error naming the path.
UniqueFd connect_unix(const std::string& path);

}  // namespace alfs
