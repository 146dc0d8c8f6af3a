#include "vm/socket_owner.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/sockets.h"

namespace alfs::vm {
namespace {

sockaddr_in end_of(int fd, bool peer) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  EXPECT_EQ((peer ? ::getpeername : ::getsockname)(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  return a;
}

sockaddr_in ipv4(const char* address, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, address, &a.sin_addr);
  return a;
}

TEST(SocketOwner, TheKernelTellsTheOwnerOfOurOwnConnection) {
  ASSERT_TRUE(socket_owners_known());
  UniqueFd listener = listen_tcp("127.0.0.1", 0);
  UniqueFd client = connect_loopback(local_port(listener.get()));
  ASSERT_TRUE(client);
  UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(server);
  // The client's socket: its local end is the server's peer.
  EXPECT_EQ(tcp_socket_owner(end_of(server.get(), true), end_of(server.get(), false)), ::geteuid());
  // Once it is closed, there is none (a lingering socket is in TIME_WAIT on the other side).
  sockaddr_in nowhere = ipv4("127.0.0.1", 1);
  EXPECT_EQ(tcp_socket_owner(nowhere, end_of(server.get(), false)), std::nullopt);
}

TEST(SocketOwner, ProcNetTcpIsReadAsTheKernelWritesIt) {
  // Two lines of a real /proc/net/tcp: 127.0.0.1:49322 -> 127.0.0.1:2049 of uid 1001, and
  // a listener of root's.
  std::string text =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:0801 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n"
      "   1: 0100007F:C0AA 0100007F:0801 01 00000000:00000000 00:00000000 00000000  1001        0 2 1 0 20 4 30 10 "
      "-1\n";
  EXPECT_EQ(owner_in_proc_net_tcp(text, ipv4("127.0.0.1", 49322), ipv4("127.0.0.1", 2049)), 1001u);
  EXPECT_EQ(owner_in_proc_net_tcp(text, ipv4("127.0.0.1", 2049), ipv4("0.0.0.0", 0)), 0u);
  EXPECT_EQ(owner_in_proc_net_tcp(text, ipv4("127.0.0.2", 49322), ipv4("127.0.0.1", 2049)), std::nullopt);
  EXPECT_EQ(owner_in_proc_net_tcp("garbage\n 0: x y z\n", ipv4("127.0.0.1", 1), ipv4("127.0.0.1", 2)), std::nullopt);
}

}  // namespace
}  // namespace alfs::vm
