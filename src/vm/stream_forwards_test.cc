#include "vm/stream_forwards.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <future>

#include "common/error.h"
#include "common/sockets.h"
#include "common/temp_dir.h"

namespace alfs::vm {
namespace {

TEST(StreamForwards, APortInUseIsNamed) {
  UniqueFd holder = listen_tcp("127.0.0.1", 0);
  int port = local_port(holder.get());
  try {
    StreamForwards forwards({{"127.0.0.1", port, 2049}});
    FAIL() << "bound a port in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  }
  EXPECT_THROW(StreamForwards({{"localhost-ish", 1, 2049}}), Error);
}

// QEMU's part is a unix socket the test listens on; the guest's part a StreamMux on the
// accepted connection whose streams are socketpairs answered by the test.
TEST(StreamForwardsWithAFakeQemuSocket, AClientReachesTheGuestPortAndBack) {
  TempDir dir("alfs-forwards-test");
  std::string path = dir.path() + "/net.sock";
  int port = local_port(listen_tcp("127.0.0.1", 0).get());  // free again: the forwards take it
  StreamForwards forwards({{"127.0.0.1", port, 2049}});
  forwards.start(path, std::chrono::seconds(5), STDERR_FILENO);  // before QEMU's socket exists

  UniqueFd qemu(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(qemu.get(), reinterpret_cast<sockaddr*>(&un), sizeof un), 0);
  ASSERT_EQ(::listen(qemu.get(), 1), 0);
  UniqueFd link(::accept4(qemu.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(link);

  UniqueFd guest_end;
  std::promise<uint16_t> opened_port;
  mux::StreamMux guest({}, [&](uint16_t guest_port) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return UniqueFd();
    guest_end = UniqueFd(pair[1]);
    opened_port.set_value(guest_port);
    return UniqueFd(pair[0]);
  });
  auto guest_run = std::async(std::launch::async, [&] { return guest.run(link.get()); });

  UniqueFd client = connect_loopback(port);
  ASSERT_TRUE(client);
  write_all(client.get(), "ping");
  EXPECT_EQ(opened_port.get_future().get(), 2049);
  char buf[4];
  ASSERT_EQ(::read(guest_end.get(), buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  write_all(guest_end.get(), "pong");
  ASSERT_EQ(::read(client.get(), buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "pong");

  guest.stop();
  EXPECT_TRUE(guest_run.get());
}

// The guest writes a frame no mux sends: the forwards stop and say so on failure_fd().
TEST(StreamForwardsWithAFakeQemuSocket, AMalformedFrameFromTheGuestIsAFailureToWatch) {
  TempDir dir("alfs-forwards-test");
  std::string path = dir.path() + "/net.sock";
  UniqueFd qemu(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(qemu.get(), reinterpret_cast<sockaddr*>(&un), sizeof un), 0);
  ASSERT_EQ(::listen(qemu.get(), 1), 0);
  int port = local_port(listen_tcp("127.0.0.1", 0).get());
  StreamForwards forwards({{"127.0.0.1", port, 2049}});
  Pipe log = make_pipe();
  forwards.start(path, std::chrono::seconds(5), log.write.get());
  UniqueFd link(::accept4(qemu.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(link);
  pollfd pfd{forwards.failure_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 100), 0) << "no failure yet";
  write_all(link.get(), std::string("\1\0\0\0\x09\0\0\0\0\0\0\0", 12));  // frame type 9
  ASSERT_EQ(::poll(&pfd, 1, 5000), 1);
  char buf[256];
  ssize_t n = ::read(log.read.get(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "forwards: stream link: unknown frame type 9\n");
}

TEST(StreamForwards, NoQemuSocketIsAFailureToWatch) {
  TempDir dir("alfs-forwards-test");
  int port = local_port(listen_tcp("127.0.0.1", 0).get());
  StreamForwards forwards({{"127.0.0.1", port, 2049}});
  Pipe log = make_pipe();
  forwards.start(dir.path() + "/none.sock", std::chrono::milliseconds(100), log.write.get());
  pollfd pfd{forwards.failure_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 5000), 1);
}

}  // namespace
}  // namespace alfs::vm
