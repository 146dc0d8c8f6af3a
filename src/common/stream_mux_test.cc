#include "common/stream_mux.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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
  explicit Link(std::function<void(UniqueFd, uint16_t)> serve, bool refuse = false, Admit admit = nullptr) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw SystemError("socketpair");
    host_end_ = UniqueFd(sv[0]);
    guest_end_ = UniqueFd(sv[1]);
    std::vector<Listener> listeners;
    UniqueFd listener = listen_tcp("127.0.0.1", 0);
    port_ = local_port(listener.get());
    listeners.push_back({std::move(listener), 2049});
    host_ = std::make_unique<StreamMux>(std::move(listeners), nullptr, Guards{}, std::move(admit));
    guest_ = std::make_unique<StreamMux>(std::vector<Listener>{}, [this, serve, refuse](uint16_t port, Client who) {
      if (who == Client::kNetwork) ++network_opens_;
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
  int network_opens() const { return network_opens_; }

 private:
  std::atomic<int> network_opens_ = 0;
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

// A client its admission refuses is closed before any of it reaches the other side: the
// guest side never hears of it, and the next client is carried as usual.
TEST(StreamMux, ARefusedClientIsClosedBeforeTheGuestHearsOfIt) {
  std::atomic<int> asked = 0, opened = 0;
  Link link(
      [&](UniqueFd fd, uint16_t port) {
        ++opened;
        echo(std::move(fd), port);
      },
      false, [&](int) { return ++asked == 1 ? Client::kRefused : Client::kLocal; });
  UniqueFd refused = connect_to(link.port());
  write_all(refused.get(), "secret");
  EXPECT_EQ(read_to_end(refused.get()), "");
  UniqueFd admitted = connect_to(link.port());
  write_all(admitted.get(), "x");
  char c;
  ASSERT_EQ(::read(admitted.get(), &c, 1), 1);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(opened, 1) << "only the admitted client became a stream";
  EXPECT_EQ(link.network_opens(), 0);
}

// A client from the network opens its stream as one: the guest side connects it so that
// nfsd squashes its root.
TEST(StreamMux, AClientFromTheNetworkOpensANetworkStream) {
  Link link(echo, false, [](int) { return Client::kNetwork; });
  UniqueFd client = connect_to(link.port());
  write_all(client.get(), "x");
  char c;
  ASSERT_EQ(::read(client.get(), &c, 1), 1);
  EXPECT_EQ(link.network_opens(), 1);
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

// A hostile guest: frames written by hand to the host side's link, which listens for
// clients of guest port 2049.
class HostUnderAttack {
 public:
  HostUnderAttack() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw SystemError("socketpair");
    host_end_ = UniqueFd(sv[0]);
    guest_ = UniqueFd(sv[1]);
    UniqueFd listener = listen_tcp("127.0.0.1", 0);
    port_ = local_port(listener.get());
    std::vector<Listener> listeners;
    listeners.push_back({std::move(listener), 2049});
    host_ = std::make_unique<StreamMux>(std::move(listeners), nullptr);
    result_ = std::async(std::launch::async, [this] { return host_->run(host_end_.get()); });
  }
  ~HostUnderAttack() {
    host_->stop();
    if (result_.valid()) result_.wait();
  }
  int port() const { return port_; }
  int guest() const { return guest_.get(); }
  void send(const FrameHeader& h, const std::string& payload = "") {
    auto bytes = encode(h);
    write_all(guest_.get(), std::string(bytes.data(), bytes.size()) + payload);
  }
  // The next frame from the host (its payload skipped).
  FrameHeader receive() {
    char bytes[kHeaderSize];
    read_exactly(bytes, kHeaderSize);
    FrameHeader h = decode(bytes);
    std::string payload(h.length, '\0');
    read_exactly(payload.data(), h.length);
    return h;
  }
  std::future<bool>& result() { return result_; }

 private:
  void read_exactly(char* to, size_t n) {
    for (size_t done = 0; done < n;) {
      ssize_t r = ::read(guest_.get(), to + done, n - done);
      if (r <= 0) throw Error("the host side ended the link");
      done += static_cast<size_t>(r);
    }
  }
  int port_ = 0;
  UniqueFd host_end_, guest_;
  std::unique_ptr<StreamMux> host_;
  std::future<bool> result_;
};

// A client whose socket takes little before its sender must queue.
UniqueFd client_with_small_buffer(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int size = 16 * 1024;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw SystemError("connect");
  return fd;
}

TEST(StreamMuxUnderAttack, FramesOutOfStepAreAnsweredOrDroppedAndTheLinkGoesOn) {
  HostUnderAttack attack;
  attack.send({7, FrameType::kOpen, 22, 0});  // the host opens streams, not the guest
  EXPECT_EQ(attack.receive(), (FrameHeader{7, FrameType::kReset, 0, 0}));
  attack.send({8, FrameType::kData, 0, 3}, "abc");  // no such stream
  attack.send({8, FrameType::kClose, 0, 0});
  attack.send({8, FrameType::kClose, 0, 0});
  attack.send({9, FrameType::kReset, 0, 0});
  // The link still carries a client's stream.
  UniqueFd client = connect_to(attack.port());
  FrameHeader open = attack.receive();
  EXPECT_EQ(open.type, FrameType::kOpen);
  attack.send({open.stream, FrameType::kData, 0, 5}, "hello");
  attack.send({open.stream, FrameType::kClose, 0, 0});
  attack.send({open.stream, FrameType::kClose, 0, 0});
  attack.send({open.stream, FrameType::kData, 0, 5}, "after");  // data after its close: dropped
  EXPECT_EQ(read_to_end(client.get()), "hello");
  attack.send({open.stream, FrameType::kOpen, 2049, 0});  // opened twice: out of step, reset
  EXPECT_EQ(attack.receive(), (FrameHeader{open.stream, FrameType::kReset, 0, 0}));
  EXPECT_EQ(attack.result().wait_for(std::chrono::seconds(0)), std::future_status::timeout);
}

TEST(StreamMuxUnderAttack, AMalformedFrameEndsRunWithAnError) {
  HostUnderAttack attack;
  auto bad = encode({1, FrameType::kData, 0, 1});
  bad[4] = 9;
  write_all(attack.guest(), std::string_view(bad.data(), bad.size()));
  EXPECT_THROW(attack.result().get(), Error);
}

TEST(StreamMuxUnderAttack, AGuestThatDoesNotReadItsAnswersIsNoLongerRead) {
  HostUnderAttack attack;
  // Opens the host refuses, each answered by a reset the guest never reads.
  auto open = encode({1, FrameType::kOpen, 2049, 0});
  std::string frames;
  for (int i = 0; i < 4096; ++i) frames.append(open.data(), open.size());
  ::fcntl(attack.guest(), F_SETFL, O_NONBLOCK);
  size_t written = 0;
  while (written < (64u << 20)) {
    size_t at = written % frames.size();  // a frame cut by a short send goes on where it stopped
    ssize_t n = ::send(attack.guest(), frames.data() + at, frames.size() - at, MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    ASSERT_EQ(errno, EAGAIN);
    pollfd pfd{attack.guest(), POLLOUT, 0};
    if (::poll(&pfd, 1, 500) == 0) break;  // the host stopped reading
  }
  // What the host took: its answers (4 MiB) plus what the sockets hold.
  EXPECT_LT(written, 16u << 20) << written;
  EXPECT_EQ(attack.result().wait_for(std::chrono::seconds(0)), std::future_status::timeout) << "the host gave up";
}

// Data for a client that does not read, `chunks` payloads of kMaxPayload; the streams the
// host reset on the way.
std::vector<uint32_t> resets_after_flood(HostUnderAttack& attack, uint32_t stream, size_t chunks) {
  std::string payload(kMaxPayload, 'x');
  for (size_t i = 0; i < chunks; ++i) attack.send({stream, FrameType::kData, 0, kMaxPayload}, payload);
  attack.send({0, FrameType::kOpen, 2049, 0});  // a marker: its reset comes after any other answer
  std::vector<uint32_t> reset;
  for (FrameHeader h = attack.receive(); h.stream != 0; h = attack.receive())
    if (h.type == FrameType::kReset) reset.push_back(h.stream);
  return reset;
}

constexpr size_t kMiB = 1 << 20;

TEST(StreamMuxUnderAttack, AStreamWhoseReaderStoppedIsResetPast16MiB) {
  HostUnderAttack attack;
  UniqueFd client = client_with_small_buffer(attack.port());
  uint32_t stream = attack.receive().stream;
  EXPECT_TRUE(resets_after_flood(attack, stream, 8 * kMiB / kMaxPayload).empty());
  // What the socket takes (its send buffer, a few MiB at most) is not queued.
  EXPECT_EQ(resets_after_flood(attack, stream, 16 * kMiB / kMaxPayload), std::vector<uint32_t>{stream});
}

TEST(StreamMuxUnderAttack, AllStreamsTogetherAreBoundedToo) {
  HostUnderAttack attack;
  std::vector<UniqueFd> clients;
  size_t reset = 0;
  // 15 MiB each is under the limit of one stream; eight of them pass 64 MiB in all, even
  // with a few MiB in each socket's send buffer.
  for (int i = 0; i < 8; ++i) {
    clients.push_back(client_with_small_buffer(attack.port()));
    reset += resets_after_flood(attack, attack.receive().stream, 15 * kMiB / kMaxPayload).size();
  }
  EXPECT_GE(reset, 1u);
}

}  // namespace
}  // namespace alfs::mux
