#include "common/fd.h"

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
  auto dir = std::filesystem::temp_directory_path() / ("alfs-fd-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "f").string();
  write_file_atomic(path, "one");
  write_file_atomic(path, "two");
  EXPECT_EQ(read_file(path), "two");
  std::filesystem::remove_all(dir);
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
