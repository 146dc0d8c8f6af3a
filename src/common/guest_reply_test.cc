#include "common/guest_reply.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "common/fd.h"

namespace alfs::protocol {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

GuestReply parse(const std::string& line) { return parse_guest_reply(decode_line(line)); }

std::string error_of(const std::string& line) {
  try {
    parse(line);
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(GuestReply, ReadsWhatTheAgentSends) {
  EXPECT_EQ(std::get<Hello>(parse(R"({"type":"hello","kernel":"6.12.9"})")).kernel, "6.12.9");
  EXPECT_EQ(std::get<LogLine>(parse(R"({"type":"log","text":"fsck: clean"})")).text, "fsck: clean");
  Ready r = std::get<Ready>(
      parse(R"({"type":"ready","fstype":"ext4","label":"data","read_only":true,"warning":"","export":"/mnt/disk"})"));
  EXPECT_EQ(r.export_path, "/mnt/disk");
  EXPECT_EQ(r.fstype, "ext4");
  EXPECT_TRUE(r.read_only);
  GuestError e = std::get<GuestError>(parse(R"({"type":"error","step":"mount","message":"wrong fs type"})"));
  EXPECT_EQ(e.step, "mount");
  EXPECT_EQ(e.message, "wrong fs type");
  EXPECT_TRUE(std::get<Stopped>(parse(R"({"type":"stopped","clean":true,"warning":null})")).clean);
  Output o = std::get<Output>(parse(R"({"type":"output","stream":"stderr","data_hex":"6869"})"));
  EXPECT_TRUE(o.to_stderr);
  EXPECT_EQ(o.data, "hi");
  EXPECT_EQ(std::get<Exit>(parse(R"({"type":"exit","code":3})")).code, 3);
  EXPECT_EQ(type_name(parse(R"({"type":"inspected","devices":[]})")), std::string("inspected"));
}

TEST(GuestReply, AFieldOfTheWrongTypeIsAProtocolErrorNamingIt) {
  // Before: json::value() threw json::type_error, "unexpected error" with a cryptic text.
  EXPECT_EQ(error_of(R"({"type":"ready","export":"/mnt/disk","read_only":"yes"})"),
            "malformed 'ready' message from the guest: \"read_only\" is not true or false");
  EXPECT_EQ(error_of(R"({"type":"hello","kernel":7})"),
            "malformed 'hello' message from the guest: \"kernel\" is not a string");
  EXPECT_EQ(error_of(R"({"type":"stopped","clean":1})"),
            "malformed 'stopped' message from the guest: \"clean\" is not true or false");
  EXPECT_EQ(error_of(R"({"type":"exit","code":"0"})"),
            "malformed 'exit' message from the guest: \"code\" is not an integer from 0 to 255");
  EXPECT_EQ(error_of(R"({"type":"exit","code":1e300})"),
            "malformed 'exit' message from the guest: \"code\" is not an integer from 0 to 255");
  EXPECT_EQ(error_of(R"({"type":"output","stream":"stdout","data_hex":"zz"})"),
            "malformed 'output' message from the guest: \"data_hex\" is not hexadecimal");
}

TEST(GuestReply, AMissingFieldIsAProtocolError) {
  EXPECT_EQ(error_of(R"({"type":"ready"})"), "malformed 'ready' message from the guest: no \"export\"");
  EXPECT_EQ(error_of(R"({"type":"error","step":"mount"})"), "malformed 'error' message from the guest: no \"message\"");
  EXPECT_EQ(error_of(R"({"type":"stopped"})"), "malformed 'stopped' message from the guest: no \"clean\"");
}

TEST(GuestReply, AnUnknownTypeIsAProtocolError) {
  EXPECT_EQ(error_of(R"({"type":"pwn"})"), "unknown message type 'pwn' from the guest");
  EXPECT_EQ(error_of(R"({"type":")" + std::string(100, 'x') + R"("})"),
            "unknown message type '" + std::string(64, 'x') + "...' from the guest");
}

TEST(GuestReply, AnExportThatWouldChangeTheNfsUrlIsRefused) {
  for (std::string path : {"mnt/disk", "", "/mnt/disk?nfsport=22", "/a#b", "/a&uid=0", "/a%3f", "/a\nb"})
    EXPECT_THROW(parse_guest_reply(json{{"type", "ready"}, {"export", path}}), ProtocolError) << path;
  EXPECT_EQ(std::get<Ready>(parse(R"({"type":"ready","export":"/run/borg/données"})")).export_path,
            "/run/borg/données");
}

TEST(GuestReply, AnFstypeMustBeAName) {
  EXPECT_THROW(parse(R"({"type":"ready","export":"/mnt/disk","fstype":"ext4\u001b[2J"})"), ProtocolError);
  EXPECT_THROW(parse(R"({"type":"ready","export":"/mnt/disk","fstype":")" + std::string(65, 'a') + R"("})"),
               ProtocolError);
  EXPECT_EQ(std::get<Ready>(parse(R"({"type":"ready","export":"/mnt/disk","fstype":"fuse.exfat-fuse"})")).fstype,
            "fuse.exfat-fuse");
}

TEST(GuestReply, ReceiveParsesWhatArrives) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd host(fds[0]), guest(fds[1]);
  write_all(guest.get(), "{\"type\":\"log\",\"text\":\"hi\"}\n{\"type\":\"stopped\",\"clean\":\"no\"}\n");
  guest.reset();
  LineChannel channel(host.get());
  auto first = receive_reply(channel, Deadline(1s));
  ASSERT_EQ(first.status, LineChannel::Status::kMessage);
  EXPECT_EQ(std::get<LogLine>(first.reply).text, "hi");
  EXPECT_THROW(receive_reply(channel, Deadline(1s)), ProtocolError);
  EXPECT_EQ(receive_reply(channel, Deadline(1s)).status, LineChannel::Status::kClosed);
}

}  // namespace
}  // namespace alfs::protocol
