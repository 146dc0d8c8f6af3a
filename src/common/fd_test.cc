#include "common/fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/temp_dir.h"

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

TEST(Files, AtomicWriteMakesANewTemporaryFile) {
  TempDir dir("alfs-fd-test");
  std::string path = dir.file("f");
  write_file_atomic(dir.file("victim"), "untouched");
  // Its temporary's name is predictable: what sits there is replaced, not written through.
  std::filesystem::create_symlink(dir.file("victim"), path + ".tmp" + std::to_string(::getpid()));
  write_file_atomic(path, "new");
  EXPECT_EQ(read_file(path), "new");
  EXPECT_EQ(read_file(dir.file("victim")), "untouched");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
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
