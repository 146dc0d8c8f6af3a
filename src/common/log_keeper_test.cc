#include "common/log_keeper.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "common/temp_dir.h"

namespace alfs {
namespace {

using namespace std::chrono_literals;

class LogKeeperTest : public ::testing::Test {
 protected:
  UniqueFd file() { return open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0600); }
  TempDir dir{"alfs-log-keeper"};
  std::string path = dir.file("run.log");
};

TEST_F(LogKeeperTest, KeepsWhatIsWrittenOnceTheWritersHaveEnded) {
  {
    LogKeeper keeper(file(), 1);
    write_all(keeper.write_fd(), "first line\nsecond line\n");
  }
  EXPECT_EQ(read_file(path), "first line\nsecond line\n");
}

TEST_F(LogKeeperTest, StopsAtTheCapWithALineSayingSoAndNeverBlocksTheWriter) {
  {
    LogKeeper keeper(file(), 1);
    std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 160; ++i) write_all(keeper.write_fd(), chunk);  // 10 MiB: never blocks
  }
  std::string log = read_file(path);
  std::string notice = "\n[log capped at 1 MiB: the rest of this run was dropped]\n";
  ASSERT_EQ(log.size(), (1u << 20) + notice.size());
  EXPECT_EQ(log.substr(1 << 20), notice);
  EXPECT_EQ(log.find_first_not_of('x'), size_t{1} << 20);
}

TEST_F(LogKeeperTest, OutlivesAWriterThatEndsAbruptly) {
  pid_t writer = ::fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    LogKeeper keeper(file(), 1);
    ::dup2(keeper.write_fd(), STDERR_FILENO);
    keeper.detach();
    (void)!::write(STDERR_FILENO, "last words\n", 11);
    ::_exit(0);  // no destructor waits for the keeper
  }
  int status = 0;
  ASSERT_EQ(::waitpid(writer, &status, 0), writer);
  for (int i = 0; i < 100 && read_file(path).empty(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(read_file(path), "last words\n");
}

TEST_F(LogKeeperTest, HoldsNoFdButThePipeAndTheFile) {
  Pipe unrelated = make_pipe();
  LogKeeper keeper(file(), 1);
  auto fds = [&] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(keeper.pid()) + "/fd"))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  // Until the child has got that far, it holds our copies.
  for (int i = 0; i < 100 && fds().size() > 2; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(fds(), (std::vector<std::string>{"0", "1"}));
}

}  // namespace
}  // namespace alfs
