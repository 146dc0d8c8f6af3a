#include "cli/say.h"

#include <fcntl.h>

#include "common/printable.h"

namespace alfs::cli {

void Say::done(const std::string& line) const {
  if (quiet()) return;
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void Say::step(const std::string& text) const {
  if (!verbose()) return;
  // Steps may name what a disk or the user gave (a label, a path).
  std::fprintf(err_, "anylinuxfs: %s\n", printable(text).c_str());
  std::fflush(err_);
}

int Say::progress_fd(int fd) const {
  if (!quiet()) return fd;
  if (!null_) null_ = open_file("/dev/null", O_WRONLY);
  return null_.get();
}

Say& say() {
  static Say process(stdout, stderr);
  return process;
}

}  // namespace alfs::cli
