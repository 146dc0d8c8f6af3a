#include "vm/admission.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <sys/socket.h>

#include "common/error.h"
#include "vm/socket_owner.h"

namespace alfs::vm {

namespace {
std::string address_of(const sockaddr_in& a) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(ntohs(a.sin_port));
}

bool is_loopback(const in_addr& a) { return (ntohl(a.s_addr) >> 24) == 127; }

bool is_host_address(const in_addr& a) {
  if (is_loopback(a)) return true;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return true;  // cannot tell: take it for a local one, which is refused unless known
  bool found = false;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next)
    found = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
            reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr == a.s_addr;
  ::freeifaddrs(list);
  return found;
}
}  // namespace

Admission decide(const Access& access, const ClientFacts& c) {
  std::string from = "a connection from " + address_of(c.peer);
  if (c.owner) {
    if (*c.owner == access.owner || *c.owner == 0) return {mux::Client::kLocal, ""};
    return {mux::Client::kRefused, from + ": its socket belongs to uid " + std::to_string(*c.owner) +
                                       ", not the instance's user (uid " + std::to_string(access.owner) + ") or root"};
  }
  if (c.peer_is_host) {
    if (!c.owners_known) return {mux::Client::kLocal, ""};  // macOS: not told yet (README, Security model)
    return {mux::Client::kRefused, from + ": no socket of this host is its end, so its owner is unknown"};
  }
  if (!access.shared) return {mux::Client::kRefused, from + ": not from this host, and the mount is not shared (-b)"};
  if (access.allow.empty()) return {mux::Client::kNetwork, ""};
  for (const auto& n : access.allow)
    if (n.contains(c.peer.sin_addr)) return {mux::Client::kNetwork, ""};
  return {mux::Client::kRefused, from + ": not in the allow-list (--allow)"};
}

mux::Client admit(int fd, const Access& access, const std::function<void(const std::string&)>& log) {
  ClientFacts facts;
  socklen_t len = sizeof facts.peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&facts.peer), &len) != 0 || facts.peer.sin_family != AF_INET) {
    log("refused a connection whose peer is gone or not IPv4");
    return mux::Client::kRefused;
  }
  len = sizeof facts.local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&facts.local), &len) != 0) {
    log("refused a connection from " + address_of(facts.peer) + ": getsockname failed");
    return mux::Client::kRefused;
  }
  facts.owners_known = socket_owners_known();
  // The peer's socket: its local end is the peer's address, its remote end ours.
  facts.owner = tcp_socket_owner(facts.peer, facts.local);
  facts.peer_is_host = is_host_address(facts.peer.sin_addr);
  Admission a = decide(access, facts);
  if (a.client == mux::Client::kRefused) log("refused " + a.refusal);
  return a.client;
}

}  // namespace alfs::vm
