#include "vm/admission.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fd.h"
#include "common/sockets.h"

namespace alfs::vm {
namespace {

using mux::Client;

ClientFacts facts(const char* peer, std::optional<uid_t> owner, bool host) {
  ClientFacts c;
  c.peer.sin_family = AF_INET;
  ::inet_pton(AF_INET, peer, &c.peer.sin_addr);
  c.owner = owner;
  c.peer_is_host = host;
  return c;
}

TEST(Admission, LocalClientsOnlyOfTheUserOrRoot) {
  Access access{1000, false, {}};
  EXPECT_EQ(decide(access, facts("127.0.0.1", 1000, true)).client, Client::kLocal);
  EXPECT_EQ(decide(access, facts("127.0.0.1", 0, true)).client, Client::kLocal) << "the kernel NFS client";
  Admission other = decide(access, facts("127.0.0.1", 1001, true));
  EXPECT_EQ(other.client, Client::kRefused);
  EXPECT_EQ(
      other.refusal,
      "a connection from 127.0.0.1:0: its socket belongs to uid 1001, not the instance's user (uid 1000) or root");
  EXPECT_EQ(decide(access, facts("127.0.0.1", std::nullopt, true)).client, Client::kRefused) << "unknown owner";
}

// A share admits the network, never another local user, however they connect.
TEST(Admission, AShareAdmitsTheNetworkButNotOtherLocalUsers) {
  Access open{0, true, {}};
  EXPECT_EQ(decide(open, facts("192.168.1.7", std::nullopt, false)).client, Client::kNetwork);
  EXPECT_EQ(decide(open, facts("192.168.1.2", 1001, true)).client, Client::kRefused) << "a user on the shared address";
  EXPECT_EQ(decide(open, facts("192.168.1.2", std::nullopt, true)).client, Client::kRefused);
  Access listed{0, true, {parse_network("10.9.0.0/16"), parse_network("192.168.1.7")}};
  EXPECT_EQ(decide(listed, facts("10.9.200.1", std::nullopt, false)).client, Client::kNetwork);
  EXPECT_EQ(decide(listed, facts("192.168.1.7", std::nullopt, false)).client, Client::kNetwork);
  Admission outside = decide(listed, facts("192.168.1.8", std::nullopt, false));
  EXPECT_EQ(outside.client, Client::kRefused);
  EXPECT_EQ(outside.refusal, "a connection from 192.168.1.8:0: not in the allow-list (--allow)");
  EXPECT_EQ(decide(Access{0, false, {}}, facts("192.168.1.7", std::nullopt, false)).client, Client::kRefused);
}

TEST(Admission, WhereOwnersCannotBeToldLocalClientsComeAsBefore) {
  ClientFacts c = facts("127.0.0.1", std::nullopt, true);
  c.owners_known = false;
  EXPECT_EQ(decide(Access{501, false, {}}, c).client, Client::kLocal);
}

// Real sockets: ours are admitted; one of another user (a child that became nobody) is
// refused with a line naming its uid.
TEST(Admission, AdmitsOurOwnSocketAndRefusesAnotherUsers) {
  UniqueFd listener = listen_tcp("127.0.0.1", 0);
  int port = local_port(listener.get());
  std::vector<std::string> log;
  auto to_log = [&](const std::string& line) { log.push_back(line); };
  Access access{::geteuid(), false, {}};
  {
    UniqueFd client = connect_loopback(port);
    UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    EXPECT_EQ(admit(server.get(), access, to_log), Client::kLocal);
    EXPECT_TRUE(log.empty());
  }
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to connect as another user";
  Pipe ready = make_pipe(), done = make_pipe();  // the child's "connected", our "looked"
  pid_t child = ::fork();
  if (child == 0) {
    done.write.reset();
    ready.read.reset();
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(1);
    UniqueFd c = connect_loopback(port);
    char byte = 0;
    (void)!::write(ready.write.get(), "x", 1);
    (void)!::read(done.read.get(), &byte, 1);  // held open until the parent has looked
    ::_exit(c ? 0 : 1);
  }
  ready.write.reset();
  done.read.reset();
  char c;
  ASSERT_EQ(::read(ready.read.get(), &c, 1), 1);
  UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  Access someone{4242, false, {}};
  EXPECT_EQ(admit(server.get(), someone, to_log), Client::kRefused);
  done.write.reset();  // the child's read ends
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("its socket belongs to uid 65534, not the instance's user (uid 4242) or root"),
            std::string::npos)
      << log[0];
}

}  // namespace
}  // namespace alfs::vm
