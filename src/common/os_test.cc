#include "common/os.h"

#include <gtest/gtest.h>

#include <chrono>

#include "common/process.h"

namespace alfs {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(WaitForExit, ReturnsAsTheProcessExitsNotAtTheTimeout) {
  Process child = spawn({.argv = {"sleep", "0.2"}});
  auto t0 = Clock::now();
  EXPECT_TRUE(wait_for_exit(child.pid(), 5000));
  EXPECT_LT(Clock::now() - t0, 3s);
  EXPECT_TRUE(child.wait_for(1s).has_value());
}

TEST(WaitForExit, ReturnsFalseAtTheTimeoutWhileItRuns) {
  Process child = spawn({.argv = {"sleep", "30"}});
  auto t0 = Clock::now();
  EXPECT_FALSE(wait_for_exit(child.pid(), 100));
  EXPECT_GE(Clock::now() - t0, 100ms);
  EXPECT_TRUE(child.running());
}

TEST(WaitForExit, ReturnsTrueForAProcessAlreadyGone) {
  Process child = spawn({.argv = {"true"}});
  pid_t pid = child.pid();
  ASSERT_TRUE(child.wait_for(5s).has_value());  // reaped: the pid names nobody now
  EXPECT_TRUE(wait_for_exit(pid, 5000));
}

TEST(ExecutablePath, IsThisTestProgramsFile) {
  std::string path = executable_path();
  EXPECT_EQ(path.front(), '/');
  EXPECT_TRUE(path.ends_with("/common_test")) << path;
}

}  // namespace
}  // namespace alfs
