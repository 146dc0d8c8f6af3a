#include "common/stream_mux.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

#include "common/error.h"
#include "common/sockets.h"

namespace alfs::mux {
namespace {

TEST(StreamMuxFrames, EncodeDecodeRoundTrip) {
  FrameHeader h{0x01020304, FrameType::kOpen, 2049, 0};
  auto bytes = encode(h);
  EXPECT_EQ(decode(bytes.data()), h);
  EXPECT_EQ(bytes[0], 0x04);  // little-endian on every host
  FrameHeader d{7, FrameType::kData, 0, kMaxPayload};
  EXPECT_EQ(decode(encode(d).data()), d);
}

TEST(StreamMuxFrames, DecodeRejectsWhatNoPeerSends) {
  auto unknown = encode({1, FrameType::kData, 0, 1});
  unknown[4] = 9;
  EXPECT_THROW(decode(unknown.data()), Error);
  EXPECT_THROW(decode(encode({1, FrameType::kData, 0, kMaxPayload + 1}).data()), Error);
  EXPECT_THROW(decode(encode({1, FrameType::kClose, 0, 5}).data()), Error);
}

UniqueFd connect_to(int port) {
  UniqueFd fd = connect_loopback(port);
  if (!fd) throw SystemError("connect");
  return fd;
}

std::string read_to_end(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Both ends over a socketpair: the host side listens on loopback for guest port 2049;
// the guest side hands each stream to `serve`, in a thread of its own, as a socket.
class Link {
 public:
  explicit Link(std::function<void(UniqueFd, uint16_t)> serve, bool refuse = false) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw SystemError("socketpair");
    host_end_ = UniqueFd(sv[0]);
    guest_end_ = UniqueFd(sv[1]);
    std::vector<Listener> listeners;
    UniqueFd listener = listen_tcp("127.0.0.1", 0);
    port_ = local_port(listener.get());
    listeners.push_back({std::move(listener), 2049});
    host_ = std::make_unique<StreamMux>(std::move(listeners), nullptr);
    guest_ = std::make_unique<StreamMux>(std::vector<Listener>{}, [this, serve, refuse](uint16_t port) {
      if (refuse) return UniqueFd();
      int pair[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return UniqueFd();
      servers_.emplace_back(serve, UniqueFd(pair[1]), port);
      return UniqueFd(pair[0]);
    });
    host_result_ = std::async(std::launch::async, [this] { return host_->run(host_end_.get()); });
    guest_result_ = std::async(std::launch::async, [this] { return guest_->run(guest_end_.get()); });
  }
  ~Link() {
    host_->stop();
    guest_->stop();
    if (host_result_.valid()) host_result_.wait();
    if (guest_result_.valid()) guest_result_.wait();
    for (auto& t : servers_) t.join();
  }
  int port() const { return port_; }
  StreamMux& host() { return *host_; }
  StreamMux& guest() { return *guest_; }
  std::future<bool>& host_result() { return host_result_; }
  std::future<bool>& guest_result() { return guest_result_; }
  void close_guest_end() { ::shutdown(guest_end_.get(), SHUT_RDWR); }

 private:
  int port_ = 0;
  UniqueFd host_end_, guest_end_;
  std::unique_ptr<StreamMux> host_, guest_;
  std::vector<std::thread> servers_;  // touched only by the guest side's thread until joined
  std::future<bool> host_result_, guest_result_;
};

void echo(UniqueFd fd, uint16_t) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return;
    write_all(fd.get(), std::string_view(buf, static_cast<size_t>(n)));
  }
}

TEST(StreamMux, CarriesEightMegabytesBothWaysThroughAnEcho) {
  Link link(echo);
  UniqueFd client = connect_to(link.port());
  std::string data(8 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 4093);
  // Written from another thread: the echo comes back while we still send.
  std::thread writer([&] {
    write_all(client.get(), data);
    ::shutdown(client.get(), SHUT_WR);
  });
  std::string back = read_to_end(client.get());
  writer.join();
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
}

TEST(StreamMux, StreamsAreSeparateAndTheGuestPortArrives) {
  Link link([](UniqueFd fd, uint16_t port) {
    std::string got;
    char c;
    while (::read(fd.get(), &c, 1) == 1 && c != '\n') got += c;
    write_all(fd.get(), got + " via " + std::to_string(port) + "\n");
  });
  UniqueFd a = connect_to(link.port());
  UniqueFd b = connect_to(link.port());
  write_all(b.get(), "second\n");
  write_all(a.get(), "first\n");
  EXPECT_EQ(read_to_end(a.get()), "first via 2049\n");  // the guest side's close ends it
  EXPECT_EQ(read_to_end(b.get()), "second via 2049\n");
}

TEST(StreamMux, ARefusedStreamClosesTheClient) {
  Link link(echo, /*refuse=*/true);
  UniqueFd client = connect_to(link.port());
  write_all(client.get(), "hello");
  EXPECT_EQ(read_to_end(client.get()), "");
}

TEST(StreamMux, TheLinkEndingEndsRunAndItsStreams) {
  Link link(echo);
  UniqueFd client = connect_to(link.port());
  write_all(client.get(), "x");
  char c;
  ASSERT_EQ(::read(client.get(), &c, 1), 1);
  link.close_guest_end();
  EXPECT_FALSE(link.host_result().get());
  EXPECT_EQ(read_to_end(client.get()), "");
}

TEST(StreamMux, StopEndsRun) {
  Link link(echo);
  link.guest().stop();
  EXPECT_TRUE(link.guest_result().get());
}

}  // namespace
}  // namespace alfs::mux
