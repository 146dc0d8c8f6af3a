#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "common/fd.h"
#include "vm/socket_owner.h"

namespace alfs::vm {

namespace {
// One exact lookup (the kernel's inet_diag_find_one: both ends given, no dump).
std::optional<uid_t> owner_by_sock_diag(const sockaddr_in& local, const sockaddr_in& remote) {
  UniqueFd nl(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!nl) return std::nullopt;
  timeval deadline{1, 0};  // the kernel answers at once; never wait long on it
  ::setsockopt(nl.get(), SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST;
  message.request.sdiag_family = AF_INET;
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = ~0U;
  message.request.id.idiag_sport = local.sin_port;
  message.request.id.idiag_dport = remote.sin_port;
  message.request.id.idiag_src[0] = local.sin_addr.s_addr;
  message.request.id.idiag_dst[0] = remote.sin_addr.s_addr;
  message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(nl.get(), &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return std::nullopt;
  alignas(nlmsghdr) char buf[8192];
  ssize_t n = ::recv(nl.get(), buf, sizeof buf, 0);
  if (n < static_cast<ssize_t>(sizeof(nlmsghdr))) return std::nullopt;
  auto* reply = reinterpret_cast<nlmsghdr*>(buf);
  // NLMSG_ERROR: no such socket (or no inet_diag in this kernel).
  if (!NLMSG_OK(reply, static_cast<unsigned>(n)) || reply->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
      reply->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
    return std::nullopt;
  const auto* diag = static_cast<const inet_diag_msg*>(NLMSG_DATA(reply));
  return static_cast<uid_t>(diag->idiag_uid);
}
}  // namespace

bool socket_owners_known() { return true; }

std::optional<uid_t> tcp_socket_owner(const sockaddr_in& local, const sockaddr_in& remote) {
  if (auto uid = owner_by_sock_diag(local, remote)) return uid;
  // A kernel without inet_diag still lists its sockets here.
  UniqueFd fd(::open("/proc/net/tcp", O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  return owner_in_proc_net_tcp(text, local, remote);
}

}  // namespace alfs::vm
