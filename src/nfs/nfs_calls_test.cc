// The bridge's checked NFS calls against FakeNfsServer, whose replies a test turns hostile.
#include "nfs/nfs_calls.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>

// In this order: each libnfs header needs the ones before it.
// clang-format off
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-zdr.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>
// clang-format on

#include "nfs/fake_nfs_server.h"
#include "nfs/nfs_fuse_bridge.h"

namespace alfs::nfs {
namespace {

using namespace std::chrono_literals;

struct ContextDeleter {
  void operator()(nfs_context* nfs) const { nfs_destroy_context(nfs); }
};

class NfsCallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nfs_.reset(nfs_init_context());
    nfs_set_timeout(nfs_.get(), 5000);
    NfsTarget target{.host = "127.0.0.1",
                     .nfs_port = server_.port(),
                     .mount_port = server_.port(),
                     .export_path = FakeNfsServer::kExport};
    ::nfs_url* url = nfs_parse_url_dir(nfs_.get(), nfs::nfs_url(target).c_str());
    ASSERT_NE(url, nullptr);
    int r = nfs_mount(nfs_.get(), url->server, url->path);
    nfs_destroy_url(url);
    ASSERT_EQ(r, 0) << nfs_get_error(nfs_.get());
  }
  void TearDown() override {
    if (fh_) nfs_close(nfs_.get(), fh_);
  }

  FileHandle root() {
    FileHandle out;
    EXPECT_EQ(open_handle(nfs_.get(), "/", out), 0);
    return out;
  }

  // One read of `size` bytes at `offset` of "file": the bytes, or the error as text.
  std::string read(uint64_t offset, size_t size) {
    if (!fh_) {
      EXPECT_EQ(nfs_open(nfs_.get(), "/file", O_RDONLY, &fh_), 0) << nfs_get_error(nfs_.get());
    }
    NfsReads reads(nfs_.get(), handle_of(fh_), 5s);
    bool done = false;
    std::string out;
    int r = reads.start(offset, size, [&](int result, const char* data) {
      done = true;
      out = result < 0 ? "error " + std::to_string(-result) : std::string(data, static_cast<size_t>(result));
    });
    if (r < 0) return "not started: " + std::to_string(-r);
    EXPECT_TRUE(reads.wait([&] { return done; }));
    return out;
  }

  FakeNfsServer server_;
  std::unique_ptr<nfs_context, ContextDeleter> nfs_;
  nfsfh* fh_ = nullptr;
};

TEST_F(NfsCallsTest, ReadsTheFile) {
  server_.set_file("0123456789");
  EXPECT_EQ(read(0, 1 << 20), "0123456789");
  EXPECT_EQ(read(4, 3), "456");
  EXPECT_EQ(read(20, 5), "");
}

TEST_F(NfsCallsTest, AReadReplyWhoseCountExceedsItsDataIsRefused) {
  // libnfs 4.0's nfs_pread hands on 1,000 bytes from a buffer holding 10 of them.
  server_.set_file(std::string(100, 'x'));
  server_.set_read_tamper([](READ3res& res) { res.READ3res_u.resok.count = 1000; });
  EXPECT_EQ(read(0, 4096), "error " + std::to_string(EIO));
}

TEST_F(NfsCallsTest, AReadReplyOfMoreThanWasAskedIsRefused) {
  server_.set_file(std::string(100, 'x'));
  server_.set_read_tamper([](READ3res& res) {
    res.READ3res_u.resok.count += 20;
    res.READ3res_u.resok.data.data_len += 20;
  });
  EXPECT_EQ(read(0, 10), "error " + std::to_string(EIO));
}

TEST_F(NfsCallsTest, AShortReplyIsContinuedUntilTheEndOfTheFile) {
  std::string content;
  for (int i = 0; i < 1000; ++i) content += static_cast<char>('a' + i % 26);
  server_.set_file(content);
  // At most 7 bytes a reply, never said to be the end.
  server_.set_read_tamper([](READ3res& res) {
    auto& ok = res.READ3res_u.resok;
    ok.count = ok.data.data_len = std::min<u_int>(ok.data.data_len, 7);
    ok.eof = 0;
  });
  EXPECT_EQ(read(0, 2000), content);
}

// libnfs 4.0 decodes an opaque of 0xffff0000 bytes in a 59-byte reply: its data then
// lies past the reply's end (the input fuzz/nfs_reply found).
TEST_F(NfsCallsTest, AReadReplyCarryingMoreThanAskedIsRefused) {
  auto u32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  server_.set_raw_reply(NFS3_READ, u32(0) + u32(0) + u32(101) + u32(1) + u32(0xffff0000) + std::string(12, '\0'));
  EXPECT_EQ(read(0, 4096), "error " + std::to_string(EIO));
}

TEST_F(NfsCallsTest, AnErrorStatusIsItsErrno) {
  server_.set_read_tamper([](READ3res& res) { res.status = NFS3ERR_IO; });
  EXPECT_EQ(read(0, 10), "error " + std::to_string(EIO));
}

TEST_F(NfsCallsTest, AGarbledReadReplyIsAnError) {
  server_.set_raw_reply(NFS3_READ, std::string("\0\0\0\0\0\0\0\1", 8));
  EXPECT_EQ(read(0, 10).substr(0, 6), "error ");
}

TEST_F(NfsCallsTest, EntriesWithNamesNoDirectoryHoldsAreLeftOut) {
  server_.set_entries({"ok", "a/b", "", std::string(256, 'n'), std::string(255, 'm'), "..", "été"});
  std::vector<DirEntry> entries;
  ASSERT_EQ(list_directory(nfs_.get(), root(), "/", 5s, entries), 0);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"..", std::string(255, 'm'), "ok", "été"}));
  EXPECT_TRUE(entries.front().has_attrs);
}

// A server that always has more to list: libnfs 4.0's nfs_opendir asks again forever.
TEST_F(NfsCallsTest, AListingThatNeverEndsIsCutOff) {
  auto u32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  // status OK, no directory attributes, a cookie verifier, one entry "a" (cookie 1, no
  // attributes, no handle), then "not the end".
  std::string body = u32(0) + u32(0) + std::string(8, '\0') + u32(1) + std::string(8, '\0') + u32(1) + "a" +
                     std::string(3, '\0') + std::string(7, '\0') + "\1" + u32(0) + u32(0) + u32(0) + u32(0);
  server_.set_raw_reply(NFS3_READDIRPLUS, body);
  std::vector<DirEntry> entries;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(list_directory(nfs_.get(), root(), "/", 5s, entries, 1000), -EIO);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_EQ(entries.size(), 1000u);
}

TEST_F(NfsCallsTest, AnEmptyReplyThatIsNotTheEndIsAnError) {
  auto u32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  server_.set_raw_reply(NFS3_READDIRPLUS, u32(0) + u32(0) + std::string(8, '\0') + u32(0) + u32(0));
  std::vector<DirEntry> entries;
  EXPECT_EQ(list_directory(nfs_.get(), root(), "/", 5s, entries), -EIO);
}

// A file handle of 0x80000000 bytes overflows libnfs 4.0's bound check and crashes it
// (sahlberg/libnfs#308); the NFS forwards refuse such a reply before libnfs reads it.
TEST_F(NfsCallsTest, AReplyLibnfsWouldCrashOnNeverReachesIt) {
  server_.set_guarded(true);
  auto u32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  server_.set_raw_reply(NFS3_LOOKUP, u32(0) + u32(0x80000000) + "abcdefgh");
  nfs_stat_64 st{};
  EXPECT_LT(nfs_lstat64(nfs_.get(), "/file", &st), 0);
}

TEST_F(NfsCallsTest, LookupGivesTheHandleAndTheAttributes) {
  NfsHandleCalls calls(nfs_.get(), 5s);
  Found found;
  ASSERT_EQ(calls.lookup(root(), "file", found), 0);
  EXPECT_EQ(found.handle, "file");
  ASSERT_TRUE(found.has_attrs);
  EXPECT_EQ(found.st.st_ino, 2u);
  EXPECT_TRUE(S_ISREG(found.st.st_mode));
  EXPECT_EQ(calls.lookup(root(), "missing", found), -ENOENT);
}

TEST_F(NfsCallsTest, GetattrByHandle) {
  NfsHandleCalls calls(nfs_.get(), 5s);
  struct stat st {};
  ASSERT_EQ(calls.getattr(root(), st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_ino, 1u);
}

TEST_F(NfsCallsTest, CreateIsGuardedAndBringsTheNewFile) {
  NfsHandleCalls calls(nfs_.get(), 5s);
  Found made;
  ASSERT_EQ(calls.create(root(), "fresh", 0640, made), 0);
  EXPECT_EQ(made.handle, "new");
  ASSERT_TRUE(made.has_attrs);
  EXPECT_EQ(made.st.st_mode, S_IFREG | 0640);
  EXPECT_EQ(calls.create(root(), "file", 0644, made), -EEXIST);
}

TEST_F(NfsCallsTest, RemoveByParentHandle) {
  NfsHandleCalls calls(nfs_.get(), 5s);
  EXPECT_EQ(calls.remove(root(), "file"), 0);
  EXPECT_EQ(calls.remove(root(), "missing"), -ENOENT);
}

TEST_F(NfsCallsTest, OpenAccessIsWhatTheServerGrants) {
  NfsHandleCalls calls(nfs_.get(), 5s);
  EXPECT_EQ(calls.check_open_access("file", O_RDWR), 0);
  auto u32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  // status OK, no attributes, READ granted alone.
  server_.set_raw_reply(NFS3_ACCESS, u32(0) + u32(0) + u32(ACCESS3_READ));
  EXPECT_EQ(calls.check_open_access("file", O_RDONLY), 0);
  EXPECT_EQ(calls.check_open_access("file", O_WRONLY), -EACCES);
  EXPECT_EQ(calls.check_open_access("file", O_RDWR), -EACCES);
}

TEST_F(NfsCallsTest, TruncateIsASetattrOfTheSize) {
  NfsHandleCalls calls(nfs_.get(), 5s);
  EXPECT_EQ(calls.truncate("file", 0), 0);
  auto u32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  // NFS3ERR_ROFS, no weak cache consistency data.
  server_.set_raw_reply(NFS3_SETATTR, u32(NFS3ERR_ROFS) + u32(0) + u32(0));
  EXPECT_EQ(calls.truncate("file", 0), -EROFS);
}

// A guest may send any handle: one NFSv3 does not allow is not kept for later calls.
TEST_F(NfsCallsTest, AnEmptyHandleInALookupReplyIsRefused) {
  const FileHandle dir = root();
  auto u32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  // status OK, a handle of 0 bytes, no object and no directory attributes.
  server_.set_raw_reply(NFS3_LOOKUP, u32(0) + u32(0) + u32(0) + u32(0));
  NfsHandleCalls calls(nfs_.get(), 5s);
  Found found;
  EXPECT_EQ(calls.lookup(dir, "file", found), -EIO);
}

TEST_F(NfsCallsTest, CallsWithAHandleNfsv3DoesNotAllowFailWithoutAsking) {
  NfsHandleCalls calls(nfs_.get(), 5s);
  struct stat st {};
  EXPECT_EQ(calls.getattr("", st), -EIO);
  EXPECT_EQ(calls.remove(std::string(65, 'h'), "file"), -EIO);
}

TEST(EntryStat, TypeComesFromTheNfsTypeNotTheModeBits) {
  post_op_attr p{};
  p.attributes_follow = 1;
  fattr3& a = p.post_op_attr_u.attributes;
  a.type = NF3DIR;
  a.mode = 0755;
  a.fileid = 42;
  a.size = 4096;
  a.used = 513;
  a.nlink = 2;
  a.uid = 1000;
  a.gid = 1000;
  a.mtime = {1700000000, 123456789};
  struct stat st {};
  ASSERT_TRUE(entry_stat(p, st));
  EXPECT_EQ(st.st_mode, S_IFDIR | 0755u);
  EXPECT_EQ(st.st_ino, 42u);
  EXPECT_EQ(st.st_size, 4096);
  EXPECT_EQ(st.st_blocks, 2);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);

  a.type = NF3LNK;
  a.mode = S_IFREG | 06777;  // stray type bits must not mix with the real type
  ASSERT_TRUE(entry_stat(p, st));
  EXPECT_EQ(st.st_mode, S_IFLNK | 06777u);
}

TEST(EntryStat, NoAttributesOrNoFileTypeIsReported) {
  post_op_attr p{};
  struct stat st {};
  EXPECT_FALSE(entry_stat(p, st));
  p.attributes_follow = 1;
  p.post_op_attr_u.attributes.type = static_cast<ftype3>(99);
  EXPECT_FALSE(entry_stat(p, st));
}

WriteVerifier verifier_of(char byte) {
  WriteVerifier v;
  v.fill(byte);
  return v;
}

WRITE3res write_reply(uint32_t count, char verifier_byte) {
  WRITE3res r{};
  r.status = NFS3_OK;
  r.WRITE3res_u.resok.count = count;
  std::memset(r.WRITE3res_u.resok.verf, verifier_byte, sizeof r.WRITE3res_u.resok.verf);
  return r;
}

TEST(CheckWriteReply, TakesWhatTheServerWroteWithItsVerifier) {
  CheckedWrite w = check_write_reply(write_reply(4096, 'a'), 8192);
  EXPECT_EQ(w.result, 4096);
  EXPECT_EQ(w.verifier, verifier_of('a'));
}

TEST(CheckWriteReply, MoreThanAskedOrNothingIsRefused) {
  CheckedWrite more = check_write_reply(write_reply(8193, 'a'), 8192);
  EXPECT_EQ(more.result, -EIO);
  EXPECT_NE(more.problem.find("8193 of 8192"), std::string::npos) << more.problem;
  // None written would have the caller ask again forever.
  EXPECT_EQ(check_write_reply(write_reply(0, 'a'), 8192).result, -EIO);
}

TEST(CheckWriteReply, AnErrorStatusIsItsErrno) {
  WRITE3res r{};
  r.status = NFS3ERR_NOSPC;
  EXPECT_EQ(check_write_reply(r, 10).result, -ENOSPC);
}

TEST(CheckCommitReply, AChangedVerifierMeansTheDataMayBeGone) {
  COMMIT3res r{};
  r.status = NFS3_OK;
  std::memset(r.COMMIT3res_u.resok.verf, 'a', sizeof r.COMMIT3res_u.resok.verf);
  EXPECT_EQ(check_commit_reply(r, verifier_of('a')), 0);
  EXPECT_EQ(check_commit_reply(r, std::nullopt), 0);  // nothing written through this handle
  EXPECT_EQ(check_commit_reply(r, verifier_of('b')), -EIO);
  r.status = NFS3ERR_IO;
  EXPECT_EQ(check_commit_reply(r, std::nullopt), -EIO);
}

TEST(UsableName, IsWhatADirectoryCanHold) {
  EXPECT_TRUE(usable_name("file.txt"));
  EXPECT_FALSE(usable_name(""));
  EXPECT_FALSE(usable_name("../etc/passwd"));
  EXPECT_FALSE(usable_name(std::string(256, 'x')));
}

}  // namespace
}  // namespace alfs::nfs
