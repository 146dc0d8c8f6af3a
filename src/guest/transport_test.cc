// SocketTransport over unix sockets: the same code the guest runs over vsock, with only
// the address family differing.
#include "guest/transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/vm_sockets.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include "common/error.h"
#include "common/protocol.h"
#include "common/temp_dir.h"

namespace alfs::guest {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

UniqueFd listen_at(const SocketAddress& a) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::bind(s.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.length), 0);
  EXPECT_EQ(::listen(s.get(), 1), 0);
  return s;
}

UniqueFd connect_to(const SocketAddress& a) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(s.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.length), 0);
  return s;
}

std::string read_some(int fd) {
  char buf[64];
  for (int i = 0; i < 100; ++i) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) return std::string(buf, static_cast<size_t>(n));
    std::this_thread::sleep_for(10ms);  // a non-blocking end
  }
  return "";
}

TEST(Transport, VsockAddressOfTheHost) {
  SocketAddress a = vsock_address(kHostCid, protocol::kControlVsockPort);
  const auto* vm = reinterpret_cast<const sockaddr_vm*>(&a.storage);
  EXPECT_EQ(vm->svm_family, AF_VSOCK);
  EXPECT_EQ(vm->svm_cid, 2u);
  EXPECT_EQ(vm->svm_port, 1024u);
  EXPECT_EQ(a.length, sizeof(sockaddr_vm));
  EXPECT_EQ(a.text, "vsock 2:1024");
}

TEST(Transport, TheKernelCommandLineChoosesIt) {
  EXPECT_NE(dynamic_cast<SocketTransport*>(make_transport(ChannelTransport::kVsock).get()), nullptr);
  EXPECT_NE(dynamic_cast<VirtioSerialTransport*>(make_transport(ChannelTransport::kVirtioSerial).get()), nullptr);
}

TEST(Transport, ControlRetriesUntilTheHostListens) {
  TempDir dir("alfs-transport");
  SocketAddress control = unix_address(dir.file("control.sock"));
  SocketTransport transport(control, unix_address(dir.file("exec.sock")), 20ms);
  UniqueFd listener;
  std::thread host([&] {
    std::this_thread::sleep_for(300ms);  // the guest's first attempts find nothing
    listener = listen_at(control);
  });
  UniqueFd channel = transport.control(5s);
  host.join();
  UniqueFd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted);
  ASSERT_EQ(::write(channel.get(), "hello\n", 6), 6);
  EXPECT_EQ(read_some(accepted.get()), "hello\n");
}

TEST(Transport, ControlGivesUpAtTheDeadlineNamingTheAddress) {
  TempDir dir("alfs-transport");
  SocketTransport transport(unix_address(dir.file("nobody.sock")), unix_address(dir.file("exec.sock")), 20ms);
  auto start = std::chrono::steady_clock::now();
  try {
    transport.control(300ms);
    FAIL() << "connected";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot connect the control channel to unix " + dir.file("nobody.sock") +
                                    " within 300 ms: No such file or directory"));
  }
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
}

TEST(Transport, ExecServesOneClientAfterAnother) {
  TempDir dir("alfs-transport");
  SocketAddress exec = unix_address(dir.file("exec.sock"));
  SocketTransport transport(unix_address(dir.file("control.sock")), exec);
  auto endpoint = transport.exec(1s);
  for (const char* request : {"first\n", "second\n"}) {
    UniqueFd client = connect_to(exec);
    UniqueFd served = endpoint->next_client();
    ASSERT_EQ(::write(client.get(), request, std::strlen(request)), static_cast<ssize_t>(std::strlen(request)));
    EXPECT_EQ(read_some(served.get()), request);
  }
}

}  // namespace
}  // namespace alfs::guest
