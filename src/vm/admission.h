// Who may use an instance's NFS ports (the forwards' listeners, vm/stream_forwards.h).
// nfsd cannot tell: every relayed connection reaches it from the guest's loopback, and
// AUTH_SYS lets a client claim any uid. So the host decides at accept, before any byte
// reaches the guest: a local client only when its socket is the instance user's or root's
// (the kernel NFS client's are root's), a client from the network only through a -b share
// and its allow-list.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ipv4_network.h"
#include "common/stream_mux.h"

namespace alfs::vm {

struct Access {
  uid_t owner = 0;                 // the instance's user: with root, the only local clients
  bool shared = false;             // -b with an address not on loopback: the network may come
  std::vector<Ipv4Network> allow;  // and then only from these (empty: whoever reaches the address)
};

// What the host knows of a client as it connects.
struct ClientFacts {
  sockaddr_in peer{}, local{};
  std::optional<uid_t> owner;  // of the peer's socket, when it is one of this host's
  bool peer_is_host = false;   // the peer's address is this host's (127/8 or an interface's)
  bool owners_known = true;    // whether this host can tell owners at all (vm/socket_owner.h)
};

struct Admission {
  mux::Client client = mux::Client::kRefused;
  std::string refusal;  // why, for the log
};

// The rule, on the facts.
Admission decide(const Access& access, const ClientFacts& client);

// The facts of the connected socket `fd`, then the rule; a refusal is written to `log`
// (one line, naming the uid or address).
mux::Client admit(int fd, const Access& access, const std::function<void(const std::string&)>& log);

}  // namespace alfs::vm
