#include "common/protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "common/fd.h"

namespace alfs::protocol {
namespace {

using namespace std::chrono_literals;

TEST(Protocol, MountRequestRoundTrips) {
  MountRequest r{{"/dev/vda", "/dev/vdb"}, "ext4", "noatime", true, "10.0.2.2"};
  r.keys = {{"/dev/vdb", std::string("pass\0phr\xffse\n", 12)}};
  r.volume_group = "vg0";
  r.logical_volume = "home";
  r.disk = "lvm:vg0:a.img:home";
  r.squash_to_root = true;
  r.action = {"borg", "echo before", "echo after", "echo unmount", {"A=1", "B=two words"}, "/mnt/disk/repo"};
  nlohmann::json decoded = decode_line(encode_line(to_json(r)));
  EXPECT_EQ(message_type(decoded), "mount");
  EXPECT_EQ(mount_request_from_json(decoded), r);
}

TEST(Protocol, InspectRequestRoundTripsWithItsKeysHexEncoded) {
  InspectRequest r{{{"/dev/vdb2", "correct horse"}}};
  std::string line = encode_line(to_json(r));
  EXPECT_EQ(line.find("correct horse"), std::string::npos);
  nlohmann::json decoded = decode_line(line);
  EXPECT_EQ(message_type(decoded), "inspect");
  EXPECT_EQ(inspect_request_from_json(decoded), r);
}

TEST(Protocol, SecretsTravelHexEncodedNeverInClear) {
  MountRequest r{{"/dev/vda"}, "", "", false, "10.0.2.2"};
  r.keys = {{"/dev/vda", "correct horse"}};
  std::string line = encode_line(to_json(r));
  EXPECT_EQ(line.find("correct horse"), std::string::npos);
  EXPECT_NE(line.find(hex_encode("correct horse")), std::string::npos);
  EXPECT_THROW(hex_decode("abc"), ProtocolError);
  EXPECT_THROW(hex_decode("zz"), ProtocolError);
}

TEST(Protocol, WipeClearsTheBytes) {
  std::string secret = "hunter2";
  const char* data = secret.data();
  wipe(secret);
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(std::string(data, 7), std::string(7, '\0'));
}

TEST(Protocol, InvalidUtf8IsReplacedNotThrown) {
  nlohmann::json m{{"type", "output"}, {"data", std::string("ok\xff")}};
  EXPECT_EQ(decode_line(encode_line(m))["data"], "ok\xef\xbf\xbd");
}

TEST(Protocol, RejectsGarbage) {
  EXPECT_THROW(decode_line("not json"), ProtocolError);
  EXPECT_THROW(decode_line("[1,2]"), ProtocolError);
  EXPECT_THROW(decode_line("{\"kind\":\"x\"}"), ProtocolError);
  EXPECT_THROW(mount_request_from_json(decode_line(R"({"type":"mount","devices":[]})")), ProtocolError);
  EXPECT_THROW(mount_request_from_json(decode_line(R"({"type":"mount","devices":"vda"})")), ProtocolError);
}

// Found fuzzing the decoder: a line of 100000 nested arrays (200 KB, within the 1 MiB
// limit) decoded, then overflowed the stack of the supervisor logging it with dump().
TEST(Protocol, RejectsDeepNesting) {
  auto nested = [](int depth) {
    return R"({"type":"log","x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  EXPECT_EQ(decode_line(nested(60))["type"], "log");
  try {
    decode_line(nested(100000));
    FAIL() << "expected an error";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "malformed message: nested more than 64 levels deep");
  }
}

struct SocketPair {
  UniqueFd a, b;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    a.reset(fds[0]);
    b.reset(fds[1]);
  }
};

TEST(LineChannel, ReassemblesSplitLinesAndSkipsBlankOnes) {
  SocketPair s;
  write_all(s.a.get(), "\n{\"type\":\"he");
  write_all(s.a.get(), "llo\"}\n{\"type\":\"ready\"}\n");
  LineChannel channel(s.b.get());
  auto first = channel.receive(Deadline(1s));
  ASSERT_EQ(first.status, LineChannel::Status::kMessage);
  EXPECT_EQ(message_type(first.message), "hello");
  auto second = channel.receive(Deadline(1s));
  ASSERT_EQ(second.status, LineChannel::Status::kMessage);
  EXPECT_EQ(message_type(second.message), "ready");
}

TEST(LineChannel, ReportsTimeoutThenClose) {
  SocketPair s;
  LineChannel channel(s.b.get());
  EXPECT_EQ(channel.receive(Deadline(50ms)).status, LineChannel::Status::kTimeout);
  s.a.reset();
  EXPECT_EQ(channel.receive(Deadline(1s)).status, LineChannel::Status::kClosed);
}

TEST(LineChannel, SendWritesOneLine) {
  SocketPair s;
  LineChannel(s.a.get()).send({{"type", "stop"}});
  LineChannel reader(s.b.get());
  auto r = reader.receive(Deadline(1s));
  ASSERT_EQ(r.status, LineChannel::Status::kMessage);
  EXPECT_EQ(message_type(r.message), "stop");
}

TEST(LineChannel, SendingToAGoneSocketPeerThrowsInsteadOfRaisingSigpipe) {
  SocketPair s;
  s.b.reset();
  EXPECT_THROW(LineChannel(s.a.get()).send({{"type", "stop"}}), SystemError);
}

}  // namespace
}  // namespace alfs::protocol
