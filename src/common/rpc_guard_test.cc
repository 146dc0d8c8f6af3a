#include "common/rpc_guard.h"

#include <gtest/gtest.h>

namespace alfs::rpc {
namespace {

// XDR by hand: what a guest's nfsd or a hostile one sends.
struct Xdr {
  std::string b;
  Xdr& u32(uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b += static_cast<char>(v >> s);
    return *this;
  }
  Xdr& u64(uint64_t v) { return u32(static_cast<uint32_t>(v >> 32)).u32(static_cast<uint32_t>(v)); }
  Xdr& opaque(const std::string& d) {
    u32(static_cast<uint32_t>(d.size()));
    b += d + std::string((4 - d.size() % 4) % 4, '\0');
    return *this;
  }
  Xdr& bytes(size_t n) {
    b += std::string(n, '\0');
    return *this;
  }
  // xid, REPLY, accepted, no verifier, SUCCESS
  static Xdr reply(uint32_t xid) { return Xdr{}.u32(xid).u32(1).u32(0).u32(0).u32(0).u32(0); }
  Xdr& attributes() { return u32(1).bytes(84); }  // post_op_attr with attributes
};

constexpr uint32_t kGetattr = 1, kLookup = 3, kRead = 6, kReaddirplus = 17, kMnt = 1, kExport = 5;

TEST(CheckReply, TakesWellFormedReplies) {
  EXPECT_EQ(check_reply(kNfsProgram, kGetattr, Xdr::reply(1).u32(0).bytes(84).b), "");
  EXPECT_EQ(check_reply(kNfsProgram, kGetattr, Xdr::reply(1).u32(2).b), "");  // NOENT: nothing follows
  EXPECT_EQ(check_reply(kNfsProgram, kLookup, Xdr::reply(1).u32(0).opaque("fh").attributes().u32(0).b), "");
  EXPECT_EQ(check_reply(kNfsProgram, kRead, Xdr::reply(1).u32(0).u32(0).u32(5).u32(1).opaque("hello").b), "");
  EXPECT_EQ(check_reply(kNfsProgram, kReaddirplus,
                        Xdr::reply(1)
                            .u32(0)
                            .u32(0)
                            .bytes(8)
                            .u32(1)
                            .u64(1)
                            .opaque("a")
                            .u64(1)
                            .attributes()
                            .u32(1)
                            .opaque("fh")
                            .u32(0)
                            .u32(1)
                            .b),
            "");
  EXPECT_EQ(check_reply(kNfsProgram, 16,
                        Xdr::reply(1).u32(0).u32(0).bytes(8).u32(1).u64(1).opaque("a").u64(1).u32(0).u32(1).b),
            "");  // READDIR: entries without attributes
  EXPECT_EQ(check_reply(kMountProgram, kMnt, Xdr::reply(1).u32(0).opaque("root").u32(1).u32(1).b), "");
  EXPECT_EQ(check_reply(kMountProgram, kExport, Xdr::reply(1).u32(1).opaque("/mnt/disk").u32(0).u32(0).b), "");
  EXPECT_EQ(check_reply(kNfsProgram, kGetattr, Xdr{}.u32(1).u32(1).u32(1).u32(1).u32(13).b), "");  // denied
}

// What crashes libnfs 4.0's decoder (sahlberg/libnfs#308), refused before it sees it.
TEST(CheckReply, RefusesLengthsLibnfsWouldOverflowOn) {
  EXPECT_EQ(check_reply(kNfsProgram, kLookup, Xdr::reply(1).u32(0).u32(0x80000000).bytes(8).b),
            "file handle of 2147483648 bytes (at most 64)");
  EXPECT_EQ(check_reply(kNfsProgram, kRead, Xdr::reply(1).u32(0).u32(0).u32(101).u32(1).u32(0xffff0000).bytes(12).b),
            "a READ reply counting 101 bytes carries 4294901760");
  EXPECT_EQ(check_reply(kNfsProgram, kRead, Xdr::reply(1).u32(0).u32(0).u32(0xffff0000).u32(1).u32(0xffff0000).b),
            "a READ reply of 4294901760 bytes");
}

TEST(CheckReply, RefusesRepliesCutShortOrWithMoreAfterThem) {
  // A READDIRPLUS reply ending inside its cookie verifier: libnfs reads past the reply.
  EXPECT_EQ(check_reply(kNfsProgram, kReaddirplus, Xdr::reply(1).u32(0).u32(0).bytes(4).b),
            "cut short in cookie verifier");
  EXPECT_EQ(check_reply(kNfsProgram, kGetattr, Xdr::reply(1).u32(0).bytes(84).u32(7).b), "4 bytes after the reply");
  EXPECT_EQ(check_reply(kNfsProgram, kLookup, Xdr::reply(1).u32(0).opaque("fh").u32(2).b),
            "attributes follow is neither true nor false");
}

TEST(CheckReply, BoundsListsLibnfsRecursesOn) {
  Xdr x = Xdr::reply(1).u32(0).u32(0).bytes(8);
  for (size_t i = 0; i <= kMaxListEntries; ++i) x.u32(1).u64(i).opaque("n").u64(i).u32(0).u32(0);
  x.u32(0).u32(1);
  EXPECT_EQ(check_reply(kNfsProgram, kReaddirplus, x.b), "more than 4096 entries");
}

TEST(CheckReply, RefusesWhatNoProcedureSends) {
  EXPECT_EQ(check_reply(kNfsProgram, 99, Xdr::reply(1).u32(0).b), "a reply to NFS procedure 99");
  EXPECT_EQ(check_reply(kNfsProgram, kGetattr, Xdr{}.u32(1).u32(0).b), "not a reply");
  EXPECT_EQ(check_reply(kNfsProgram, kGetattr, Xdr{}.u32(1).u32(1).u32(7).b), "reply status 7");
}

std::string record(const std::string& body, bool last = true) {
  return Xdr{}.u32((last ? 0x80000000u : 0) | static_cast<uint32_t>(body.size())).b + body;
}

std::string call(uint32_t xid, uint32_t program, uint32_t proc) {
  return record(Xdr{}.u32(xid).u32(0).u32(2).u32(program).u32(3).u32(proc).u32(0).u32(0).u32(0).u32(0).b);
}

TEST(ReplyGuard, HoldsAReplyBackUntilItIsWholeThenPassesItAsOneFragment) {
  ReplyGuard guard;
  ASSERT_TRUE(guard.from_client(call(7, kNfsProgram, kRead)));
  std::string body = Xdr::reply(7).u32(0).u32(0).u32(5).u32(1).opaque("hello").b;
  // In two fragments, each cut in two on the way.
  std::string wire = record(body.substr(0, 10), false) + record(body.substr(10));
  std::string pass;
  ASSERT_TRUE(guard.from_server(wire.substr(0, 9), pass));
  EXPECT_EQ(pass, "");
  ASSERT_TRUE(guard.from_server(wire.substr(9), pass)) << guard.problem();
  EXPECT_EQ(pass, record(body));
}

TEST(ReplyGuard, FollowsCallsSplitAnywhere) {
  ReplyGuard guard;
  std::string calls = call(1, kNfsProgram, kGetattr) + call(2, kMountProgram, kMnt);
  for (char c : calls) ASSERT_TRUE(guard.from_client(std::string_view(&c, 1)));
  std::string pass;
  EXPECT_TRUE(guard.from_server(
      record(Xdr::reply(2).u32(0).opaque("root").u32(0).b) + record(Xdr::reply(1).u32(0).bytes(84).b), pass))
      << guard.problem();
}

TEST(ReplyGuard, RefusesAReplyToNoCallOrToOneAnsweredAlready) {
  ReplyGuard guard;
  std::string pass;
  EXPECT_FALSE(guard.from_server(record(Xdr::reply(9).u32(0).bytes(84).b), pass));
  EXPECT_EQ(guard.problem(), "a reply to no call (xid 9)");
  ReplyGuard again;
  ASSERT_TRUE(again.from_client(call(1, kNfsProgram, kGetattr)));
  ASSERT_TRUE(again.from_server(record(Xdr::reply(1).u32(0).bytes(84).b), pass));
  EXPECT_FALSE(again.from_server(record(Xdr::reply(1).u32(0).bytes(84).b), pass));
}

TEST(ReplyGuard, RefusesAMalformedReplyNamingItsProcedure) {
  ReplyGuard guard;
  ASSERT_TRUE(guard.from_client(call(3, kNfsProgram, kLookup)));
  std::string pass;
  EXPECT_FALSE(guard.from_server(record(Xdr::reply(3).u32(0).u32(0x80000000).bytes(8).b), pass));
  EXPECT_EQ(guard.problem(), "a malformed reply to NFS procedure 3: file handle of 2147483648 bytes (at most 64)");
  EXPECT_EQ(pass, "");
}

TEST(ReplyGuard, RefusesARecordTooLargeBeforeItComes) {
  ReplyGuard guard;
  std::string pass;
  EXPECT_FALSE(guard.from_server(Xdr{}.u32(0x80000000u | (kMaxReply + 1)).b, pass));
  EXPECT_EQ(guard.problem(), "a reply of more than 4 MiB");
}

}  // namespace
}  // namespace alfs::rpc
