#include "vm/stream_forwards.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <optional>

#include "common/error.h"
#include "common/sockets.h"
#include "common/temp_dir.h"

namespace alfs::vm {
namespace {

TEST(StreamForwards, APortInUseIsNamed) {
  UniqueFd holder = listen_tcp("127.0.0.1", 0);
  int port = local_port(holder.get());
  try {
    StreamForwards forwards({{"127.0.0.1", port, 2049}}, Access{});
    FAIL() << "bound a port in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  }
  EXPECT_THROW(StreamForwards({{"localhost-ish", 1, 2049}}, Access{}), Error);
}

// RPC records as the NFS client and the guest's nfsd write them (the forwards check the
// replies: common/rpc_guard.h).
std::string words(std::initializer_list<uint32_t> values) {
  std::string out;
  for (uint32_t v : values)
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(v >> shift);
  return out;
}
const std::string kNullCall = words({0x80000028, 7, 0, 2, 100003, 3, 0, 0, 0, 0, 0});  // xid 7: NFS NULL
const std::string kNullReply = words({0x80000018, 7, 1, 0, 0, 0, 0});

// QEMU's part is a unix socket the test listens on; the guest's part a StreamMux on the
// accepted connection whose streams are socketpairs answered by the test.
class StreamForwardsWithAFakeQemuSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    forwards.emplace(std::vector<PortForward>{{"127.0.0.1", port, 2049}}, Access{::geteuid()});
    forwards->start(path, std::chrono::seconds(5), log.write.get());  // before QEMU's socket exists
    qemu = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(qemu.get(), reinterpret_cast<sockaddr*>(&un), sizeof un), 0);
    ASSERT_EQ(::listen(qemu.get(), 1), 0);
    link = UniqueFd(::accept4(qemu.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(link);
    guest_run = std::async(std::launch::async, [&] { return guest.run(link.get()); });
  }
  void TearDown() override {
    guest.stop();
    if (guest_run.valid()) {
      EXPECT_TRUE(guest_run.get());
    }
  }
  std::string read_exactly(int fd, size_t n) {
    std::string out(n, '\0');
    for (size_t done = 0; done < n;) {
      ssize_t r = ::read(fd, out.data() + done, n - done);
      if (r <= 0) return out.substr(0, done);
      done += static_cast<size_t>(r);
    }
    return out;
  }

  TempDir dir{"alfs-forwards-test"};
  std::string path = dir.path() + "/net.sock";
  int port = local_port(listen_tcp("127.0.0.1", 0).get());  // free again: the forwards take it
  Pipe log = make_pipe();
  std::optional<StreamForwards> forwards;
  UniqueFd qemu, link;
  UniqueFd guest_end;
  std::promise<uint16_t> opened_port;
  mux::StreamMux guest{{}, [&](uint16_t guest_port, mux::Client) {
                         int pair[2];
                         if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return UniqueFd();
                         guest_end = UniqueFd(pair[1]);
                         opened_port.set_value(guest_port);
                         return UniqueFd(pair[0]);
                       }};
  std::future<bool> guest_run;
};

TEST_F(StreamForwardsWithAFakeQemuSocket, AClientReachesTheGuestPortAndBack) {
  UniqueFd client = connect_loopback(port);
  ASSERT_TRUE(client);
  write_all(client.get(), kNullCall);
  EXPECT_EQ(opened_port.get_future().get(), 2049);
  EXPECT_EQ(read_exactly(guest_end.get(), kNullCall.size()), kNullCall);
  write_all(guest_end.get(), kNullReply);
  EXPECT_EQ(read_exactly(client.get(), kNullReply.size()), kNullReply);
}

// A reply libnfs 4.0 would decode past its end: the client never sees it.
TEST_F(StreamForwardsWithAFakeQemuSocket, AMalformedReplyResetsItsStreamAndIsLogged) {
  UniqueFd client = connect_loopback(port);
  ASSERT_TRUE(client);
  write_all(client.get(), kNullCall);
  opened_port.get_future().get();
  read_exactly(guest_end.get(), kNullCall.size());
  write_all(guest_end.get(), words({0x80000010, 7, 1, 0, 0}));  // cut short after the verifier's flavor
  EXPECT_EQ(read_exactly(client.get(), 1), "");
  char buf[256];
  ssize_t n = ::read(log.read.get(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)),
            "forwards: refused what the guest sent: a malformed reply to NFS procedure 0: cut short in verifier\n");
  pollfd pfd{forwards->failure_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 1) << "the instance is to end";
}

// The guest writes a frame no mux sends: the forwards stop and say so on failure_fd().
TEST(StreamForwardsWithAQemuSocket, AMalformedFrameFromTheGuestIsAFailureToWatch) {
  TempDir dir("alfs-forwards-test");
  std::string path = dir.path() + "/net.sock";
  UniqueFd qemu(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(qemu.get(), reinterpret_cast<sockaddr*>(&un), sizeof un), 0);
  ASSERT_EQ(::listen(qemu.get(), 1), 0);
  int port = local_port(listen_tcp("127.0.0.1", 0).get());
  StreamForwards forwards({{"127.0.0.1", port, 2049}}, Access{});
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
  StreamForwards forwards({{"127.0.0.1", port, 2049}}, Access{});
  Pipe log = make_pipe();
  forwards.start(dir.path() + "/none.sock", std::chrono::milliseconds(100), log.write.get());
  pollfd pfd{forwards.failure_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 5000), 1);
}

}  // namespace
}  // namespace alfs::vm
