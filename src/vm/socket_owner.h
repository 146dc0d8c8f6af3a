// Who owns the local end of a TCP connection: the uid the kernel keeps with each socket
// (what `ss -tie` shows). The NFS forwards admit a client only when it is the instance's
// user or root (vm/admission.h); AUTH_SYS lets any client claim any uid, so the socket's
// owner is the only thing a client cannot lie about.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <optional>
#include <string_view>

namespace alfs::vm {

// The owner of the IPv4 TCP socket whose local end is `local` and remote end `remote`,
// in our network namespace; nothing when there is none (a socket of another namespace or
// host, or one closed since). Linux: sock_diag (inet_diag over netlink), then
// /proc/net/tcp; elsewhere: nothing.
std::optional<uid_t> tcp_socket_owner(const sockaddr_in& local, const sockaddr_in& remote);

// Whether tcp_socket_owner can tell at all on this host: Linux yes, macOS no.
bool socket_owners_known();

// The owner in /proc/net/tcp's text (`text`) of that socket.
std::optional<uid_t> owner_in_proc_net_tcp(std::string_view text, const sockaddr_in& local, const sockaddr_in& remote);

}  // namespace alfs::vm
