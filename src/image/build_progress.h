// What an image build shows while it runs. On a terminal: one line, rewritten in place,
// with the build's step ("[2/4] preparing the root for the agent") and what it does now
// (mmdebstrap's "I: downloading packages with apt..."); otherwise every line as it comes,
// for logs. It remembers the step and the last lines, so a failed build can say where it
// failed and why.
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/process.h"
#include "common/status_line.h"

namespace alfs {

class BuildProgress {
 public:
  BuildProgress(int out_fd, bool terminal) : status_(out_fd, terminal) {}

  // The build's output (stdout and stderr together), in chunks as they arrive.
  void feed(std::string_view chunk);
  // Ends the build's output: a partial last line is shown, the updating line ended.
  void finish();

  const std::string& step() const { return step_; }  // the last "[n/N] ..." line; "" before
  std::string tail() const;                          // the last kTailLines lines, one per line

  static constexpr size_t kTailLines = 15;

 private:
  void line(std::string text);

  StatusLine status_;
  std::string partial_;
  std::string step_;
  std::deque<std::string> tail_;
};

// How a build shown through BuildProgress ended: its exit status, and what a failure
// message needs.
struct BuildRun {
  ExitStatus status;
  std::string step;  // the last step it announced
  std::string tail;  // on a terminal, where its lines were rewritten: the last ones
  // "building the guest image failed at STEP (WHY)", then the tail or a pointer to the
  // output above.
  Error failure(const std::string& why) const;
};

// Runs a build (the build script, or QEMU with the bootstrap VM) with its standard output
// and error shown through BuildProgress on `progress_fd`. Throws Error when it runs past
// `limit` (it is stopped), naming the step it was at.
BuildRun run_build(SpawnOptions opts, std::chrono::minutes limit, int progress_fd);

}  // namespace alfs
