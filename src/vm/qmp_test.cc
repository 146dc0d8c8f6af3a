// The QMP client against a fake QEMU monitor on the other end of a socket pair.
#include "vm/qmp.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "common/error.h"

namespace alfs::vm {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct FakeMonitor {
  UniqueFd ours, theirs;
  FakeMonitor() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw SystemError("socketpair");
    ours.reset(sv[0]);
    theirs.reset(sv[1]);
  }
  void say(const std::string& line) {
    ASSERT_EQ(::write(theirs.get(), line.data(), line.size()), (ssize_t)line.size());
  }
  json heard() {
    protocol::LineChannel channel(theirs.get(), /*typed=*/false);
    auto r = channel.receive(Deadline(5s));
    return r.message;
  }
};

TEST(QmpWithFakeMonitor, GreetsSkipsEventsAndReturnsTheValue) {
  FakeMonitor m;
  m.say("{\"QMP\": {\"version\": {}}}\r\n{\"return\": {}}\r\n");
  Qmp qmp(std::move(m.ours), Deadline(5s));
  EXPECT_EQ(m.heard(), json({{"execute", "qmp_capabilities"}}));
  m.say("{\"event\": \"RESUME\"}\r\n{\"return\": {\"status\": \"paused\"}}\r\n");
  EXPECT_EQ(qmp.execute("query-status", Deadline(5s))["status"], "paused");
  EXPECT_EQ(m.heard(), json({{"execute", "query-status"}}));
}

TEST(QmpWithFakeMonitor, AnErrorCarriesQemusWords) {
  FakeMonitor m;
  m.say("{\"QMP\": {}}\n{\"return\": {}}\n");
  Qmp qmp(std::move(m.ours), Deadline(5s));
  m.say("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Bus 'scsi.0' not found\"}}\n");
  try {
    qmp.execute("device_add", {{"driver", "scsi-hd"}}, Deadline(5s));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "QEMU refused device_add: Bus 'scsi.0' not found");
  }
}

TEST(QmpWithFakeMonitor, AMonitorThatSaysNothingTimesOut) {
  FakeMonitor m;
  EXPECT_THROW(Qmp(std::move(m.ours), Deadline(50ms)), Error);
}

TEST(QmpWithFakeMonitor, GivesAnFdWithGetfd) {
  FakeMonitor m;
  m.say("{\"QMP\": {}}\n{\"return\": {}}\n");
  Qmp qmp(std::move(m.ours), Deadline(5s));
  m.heard();
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  std::thread monitor([&] {
    char line[256] = {};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{line, sizeof line - 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ASSERT_GT(::recvmsg(m.theirs.get(), &msg, 0), 0);
    EXPECT_EQ(json::parse(line), json({{"execute", "getfd"}, {"arguments", {{"fdname", "state"}}}}));
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    ASSERT_NE(cmsg, nullptr);
    int fd;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    EXPECT_EQ(::write(fd, "x", 1), 1);  // the same pipe
    ::close(fd);
    m.say("{\"return\": {}}\n");
  });
  qmp.give_fd("state", write_end.get(), Deadline(5s));
  monitor.join();
  char c = 0;
  EXPECT_EQ(::read(read_end.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

}  // namespace
}  // namespace alfs::vm
