#include "common/status_line.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

class StatusLineTest : public ::testing::Test {
 protected:
  std::string shown() { return read_file(tmp.file("out")); }
  TempDir tmp{"alfs-status-test"};
  UniqueFd out = open_file(tmp.file("out"), O_WRONLY | O_CREAT | O_EXCL, 0600);
};

TEST_F(StatusLineTest, OnATerminalOneLineIsRewrittenAndPrintedLinesStayAboveIt) {
  {
    StatusLine line(out.get(), /*terminal=*/true);
    line.update("starting the VM");
    line.update("mounting " + std::string(100, 'x'));
    line.print("warning: slow");
    line.update("presenting");
  }  // gone with the object: the caller's next line starts clean
  EXPECT_EQ(shown(), "\r\033[Kstarting the VM\r\033[Kmounting " + std::string(79 - 3 - 9, 'x') +
                         "...\r\033[Kwarning: slow\n\r\033[Kpresenting\r\033[K");
}

TEST_F(StatusLineTest, KeepEndsTheLineWhereItIs) {
  StatusLine line(out.get(), /*terminal=*/true);
  line.update("step");
  line.keep();
  line.clear();
  EXPECT_EQ(shown(), "\r\033[Kstep\n");
}

TEST_F(StatusLineTest, NotATerminalGetsPlainLines) {
  {
    StatusLine line(out.get(), /*terminal=*/false);
    line.update("starting the VM");
    line.print("warning: slow");
    line.keep();
  }
  EXPECT_EQ(shown(), "starting the VM\nwarning: slow\n");
}

}  // namespace
}  // namespace alfs
