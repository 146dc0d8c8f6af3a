#include "instance/guest_session.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "common/fd.h"

namespace alfs {
namespace {

using namespace std::chrono_literals;
using protocol::LineChannel;
using protocol::ProtocolError;

// A guest on a socketpair: what it writes, the supervisor's channel reads.
struct FakeGuest {
  UniqueFd host, guest;
  LineChannel channel{-1};
  std::vector<std::string> logged;
  LogFn log = [this](const std::string& line) { logged.push_back(line); };
  FakeGuest() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    host.reset(fds[0]);
    guest.reset(fds[1]);
    channel = LineChannel(host.get());
  }
  void says(const std::string& bytes) { write_all(guest.get(), bytes); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(AwaitReady, LogsProgressAndReturnsReady) {
  FakeGuest g;
  g.says(R"({"type":"progress","step":"modules"})"
         "\n"
         R"({"type":"log","text":"fsck: clean"})"
         "\n"
         R"({"type":"ready","export":"/mnt/disk","fstype":"ext4"})"
         "\n");
  auto ready = await_ready(g.channel, 5s, g.log);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->export_path, "/mnt/disk");
  EXPECT_EQ(g.logged, (std::vector<std::string>{"guest: modules", "guest: fsck: clean"}));
}

TEST(AwaitReady, TheGuestsErrorIsAGuestFailureWithItsText) {
  FakeGuest g;
  g.says(R"({"type":"error","step":"mount","message":"wrong fs type"})"
         "\n");
  EXPECT_THROW(await_ready(g.channel, 5s, g.log), protocol::GuestFailure);
  g.says(R"({"type":"error","step":"mount","message":"wrong fs type"})"
         "\n");
  EXPECT_EQ(error_of([&] { await_ready(g.channel, 5s, g.log); }), "the guest failed at step 'mount': wrong fs type");
}

TEST(AwaitReady, AMessageOutOfPlaceIsAProtocolError) {
  FakeGuest g;
  g.says(R"({"type":"exit","code":0})"
         "\n");
  EXPECT_EQ(error_of([&] { await_ready(g.channel, 5s, g.log); }),
            "unexpected 'exit' message from the guest while mounting");
}

TEST(AwaitReady, GarbageAndOversizedLinesAreProtocolErrors) {
  FakeGuest g;
  g.says("\x1b[2J not json\n");
  EXPECT_THROW(await_ready(g.channel, 5s, g.log), ProtocolError);
  FakeGuest big;
  // More than the 1 MiB a line may have, without its end: the guest keeps writing.
  std::thread writer([&] {
    std::string line(2 << 20, 'x');
    for (size_t done = 0; done < line.size();) {
      ssize_t n = ::send(big.guest.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;  // the reader gave up and hung up
      done += static_cast<size_t>(n);
    }
  });
  EXPECT_EQ(error_of([&] { await_ready(big.channel, 5s, big.log); }), "message longer than 1 MiB");
  big.host.reset();
  writer.join();
}

TEST(AwaitReady, AClosedChannelIsNoReadyAndSilenceEndsAtTheDeadline) {
  FakeGuest g;
  EXPECT_EQ(error_of([&] { await_ready(g.channel, 200ms, g.log); }),
            "the guest did not mount the disk within 0 s (see `anylinuxfs dmesg` for its console)");
  g.guest.reset();
  EXPECT_FALSE(await_ready(g.channel, 5s, g.log));
}

TEST(TakeServingMessages, TakesEveryLineThatArrivedAtOnce) {
  FakeGuest g;
  EXPECT_TRUE(take_serving_messages(g.channel, g.log));  // nothing yet: no wait
  g.says(R"({"type":"log","text":"one"})"
         "\n"
         R"({"type":"log","text":"two"})"
         "\n");
  EXPECT_TRUE(take_serving_messages(g.channel, g.log));
  EXPECT_EQ(g.logged, (std::vector<std::string>{"guest: one", "guest: two"}));
  g.guest.reset();
  EXPECT_FALSE(take_serving_messages(g.channel, g.log));
}

TEST(TakeServingMessages, AnythingButALogLineIsAProtocolError) {
  FakeGuest g;
  g.says(R"({"type":"ready","export":"/elsewhere"})"
         "\n");
  EXPECT_EQ(error_of([&] { take_serving_messages(g.channel, g.log); }),
            "unexpected 'ready' message from the guest while the export is served");
  g.says(R"({"type":"log","text":["not","text"]})"
         "\n");
  EXPECT_THROW(take_serving_messages(g.channel, g.log), ProtocolError);
}

TEST(AwaitStopped, LogsUntilStoppedAndRefusesOtherMessages) {
  FakeGuest g;
  g.says(R"({"type":"log","text":"borg umount"})"
         "\n"
         R"({"type":"stopped","clean":true,"warning":"x"})"
         "\n");
  auto stopped = await_stopped(g.channel, Deadline(5s), g.log);
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(stopped->clean);
  EXPECT_EQ(stopped->warning, "x");
  g.says(R"({"type":"hello","kernel":"6.12"})"
         "\n");
  EXPECT_EQ(error_of([&] { await_stopped(g.channel, Deadline(5s), g.log); }),
            "unexpected 'hello' message from the guest while stopping");
  EXPECT_FALSE(await_stopped(g.channel, Deadline(100ms), g.log));
  g.guest.reset();
  EXPECT_FALSE(await_stopped(g.channel, Deadline(5s), g.log));
}

}  // namespace
}  // namespace alfs
