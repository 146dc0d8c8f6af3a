#include "cli/say.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace alfs::cli {
namespace {

// What a Say wrote to its two streams (memory files).
struct Streams {
  char* out_text = nullptr;
  char* err_text = nullptr;
  size_t out_size = 0, err_size = 0;
  std::FILE* out = open_memstream(&out_text, &out_size);
  std::FILE* err = open_memstream(&err_text, &err_size);
  ~Streams() {
    std::fclose(out);
    std::fclose(err);
    std::free(out_text);
    std::free(err_text);
  }
  std::string out_now() {
    std::fflush(out);
    return std::string(out_text, out_size);
  }
  std::string err_now() {
    std::fflush(err);
    return std::string(err_text, err_size);
  }
};

TEST(Say, ByDefaultWhatWasDoneButNoSteps) {
  Streams s;
  Say say(s.out, s.err);
  say.done("unmounted /mnt/x");
  say.step("asking the guest to stop");
  EXPECT_EQ(s.out_now(), "unmounted /mnt/x\n");
  EXPECT_EQ(s.err_now(), "");
}

TEST(Say, QuietSaysNothing) {
  Streams s;
  Say say(s.out, s.err);
  say.set(Verbosity::kQuiet);
  say.done("unmounted /mnt/x");
  say.step("asking the guest to stop");
  EXPECT_EQ(s.out_now(), "");
  EXPECT_EQ(s.err_now(), "");
}

TEST(Say, VerboseAddsTheStepsOnStandardErrorMadePrintable) {
  Streams s;
  Say say(s.out, s.err);
  say.set(Verbosity::kVerbose);
  say.step("looking at \x1b[2Jdisk");
  say.done("stopped /mnt/x");
  EXPECT_EQ(s.err_now(), "anylinuxfs: looking at \\x1b[2Jdisk\n");
  EXPECT_EQ(s.out_now(), "stopped /mnt/x\n");
}

TEST(Say, QuietSendsProgressNowhere) {
  Streams s;
  Say say(s.out, s.err);
  EXPECT_EQ(say.progress_fd(1), 1);
  say.set(Verbosity::kQuiet);
  int fd = say.progress_fd(1);
  EXPECT_NE(fd, 1);
  EXPECT_EQ(::write(fd, "x", 1), 1) << "a progress fd that takes what is written";
}

}  // namespace
}  // namespace alfs::cli
