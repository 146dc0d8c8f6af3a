#include "common/fd.h"
#include "common/temp_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"

namespace alfs {
namespace {

TEST(UniqueFd, ClosesOnDestructionAndIsCloexec) {
  int raw;
  {
    Pipe p = make_pipe();
    raw = p.read.get();
    EXPECT_TRUE(::fcntl(raw, F_GETFD) & FD_CLOEXEC);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
}

TEST(Files, AtomicWriteThenRead) {
  TempDir dir("alfs-fd-test");
  std::string path = dir.file("f");
  write_file_atomic(path, "one");
  write_file_atomic(path, "two");
  EXPECT_EQ(read_file(path), "two");
}

TEST(Files, MissingFileNamesThePath) {
  try {
    read_file("/nonexistent/alfs");
    FAIL();
  } catch (const SystemError& e) {
    EXPECT_STREQ(e.what(), "cannot open /nonexistent/alfs: No such file or directory");
    EXPECT_EQ(e.code(), ENOENT);
  }
}

}  // namespace
}  // namespace alfs
