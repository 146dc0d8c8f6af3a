#include "image/build_progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

class BuildProgressTest : public ::testing::Test {
 protected:
  std::string shown() { return read_file(tmp.file("out")); }
  TempDir tmp{"alfs-progress-test"};
  UniqueFd out = open_file(tmp.file("out"), O_WRONLY | O_CREAT | O_EXCL, 0600);
};

TEST_F(BuildProgressTest, NotATerminalGetsEveryLineAsItComes) {
  BuildProgress progress(out.get(), /*terminal=*/false);
  progress.feed("[1/4] debootstrapping\nI: downloading pack");
  EXPECT_EQ(shown(), "[1/4] debootstrapping\n") << "a line is shown once it is whole";
  progress.feed("ages with apt...\n[2/4] preparing the root\nE: no space");
  progress.finish();
  EXPECT_EQ(shown(),
            "[1/4] debootstrapping\nI: downloading packages with apt...\n[2/4] preparing the root\nE: no space\n");
  EXPECT_EQ(progress.step(), "[2/4] preparing the root");
  EXPECT_EQ(progress.tail(),
            "[1/4] debootstrapping\nI: downloading packages with apt...\n[2/4] preparing the root\nE: no space\n");
}

TEST_F(BuildProgressTest, ATerminalKeepsTheStepsAndRewritesOneLineUnderThem) {
  BuildProgress progress(out.get(), /*terminal=*/true);
  progress.feed("[1/4] debootstrapping\nI: downloading\nI: extracting\r[2/4] preparing\n");
  progress.feed("I: " + std::string(200, 'x') + "\n");
  progress.finish();
  EXPECT_EQ(
      shown(),
      "[1/4] debootstrapping\n\r\033[K  I: downloading\r\033[K  I: extracting\r\033[K[2/4] preparing\n\r\033[K  I: " +
          std::string(79 - 3 - 5, 'x') + "...\n");
}

TEST_F(BuildProgressTest, TheTailIsTheLastLinesAndNoTerminalControl) {
  BuildProgress progress(out.get(), /*terminal=*/false);
  for (int i = 0; i < 40; ++i) progress.feed("line " + std::to_string(i) + "\n");
  progress.feed("evil \033]0;title\007\n");
  std::string tail = progress.tail();
  EXPECT_EQ(tail.find("line 25\n"), std::string::npos);
  EXPECT_EQ(tail.substr(0, 8), "line 26\n");
  EXPECT_EQ(tail.find('\033'), std::string::npos) << tail;
  EXPECT_EQ(shown().find('\033'), std::string::npos) << "nor on the screen";
  EXPECT_EQ(progress.step(), "") << "no step line came";
}

}  // namespace
}  // namespace alfs
