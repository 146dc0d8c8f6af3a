#include "image/build_progress.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>

#include "common/deadline.h"
#include "common/fd.h"
#include "common/printable.h"

namespace alfs {

void BuildProgress::feed(std::string_view chunk) {
  partial_ += chunk;
  for (size_t nl; (nl = partial_.find_first_of("\r\n")) != std::string::npos;) {
    std::string text = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    if (!text.empty()) line(std::move(text));
  }
}

void BuildProgress::finish() {
  if (!partial_.empty()) line(std::exchange(partial_, ""));
  status_.keep();
}

std::string BuildProgress::tail() const {
  std::string text;
  for (const auto& l : tail_) text += l + "\n";
  return text;
}

void BuildProgress::line(std::string text) {
  // The build's lines quote Debian's archive and the network: shown, never obeyed.
  text = printable(text);
  tail_.push_back(text);
  if (tail_.size() > kTailLines) tail_.pop_front();
  if (text.starts_with("[") && text.find("] ") != std::string::npos && text.find('/') < text.find("] ")) {
    step_ = text;
    status_.print(text);  // each step stays on the screen; what it does is rewritten under it
    return;
  }
  status_.update(status_.terminal() ? "  " + text : text);
}

Error BuildRun::failure(const std::string& why) const {
  std::string where = step.empty() ? "" : " at " + step;
  return Error("building the guest image failed" + where + " (" + why + ")" +
               (tail.empty() ? "; its output is above" : "; its last lines:\n" + tail));
}

BuildRun run_build(SpawnOptions opts, std::chrono::minutes limit, int progress_fd) {
  Pipe output = make_pipe();
  opts.stdout_fd = opts.stderr_fd = output.write.get();
  Process build = spawn(opts);
  output.write.reset();
  bool terminal = ::isatty(progress_fd) == 1;
  BuildProgress progress(progress_fd, terminal);
  Deadline deadline(limit);
  std::optional<ExitStatus> status;
  // Until the build has exited and its output is read (a process it left behind may hold
  // the pipe open: its exit ends the wait, not the pipe's end).
  for (bool open = true; open && !status;) {
    if (deadline.expired()) {
      progress.finish();
      build.terminate(std::chrono::seconds(5));
      throw Error("building the guest image timed out after " + std::to_string(limit.count()) + " minutes" +
                  (progress.step().empty() ? "" : ", at " + progress.step()));
    }
    pollfd ready{output.read.get(), POLLIN, 0};
    if (::poll(&ready, 1, std::min(deadline.remaining_ms(), 1000)) > 0) {
      char buf[4096];
      ssize_t n = ::read(output.read.get(), buf, sizeof buf);
      if (n > 0) progress.feed(std::string_view(buf, static_cast<size_t>(n)));
      if (n == 0 || (n < 0 && errno != EINTR)) open = false;
      continue;
    }
    status = build.poll();
  }
  // What it wrote just before it exited (bounded: a process it left may write on).
  pollfd ready{output.read.get(), POLLIN, 0};
  for (int chunk = 0; chunk < 256 && ::poll(&ready, 1, 0) > 0; ++chunk) {
    char buf[4096];
    ssize_t n = ::read(output.read.get(), buf, sizeof buf);
    if (n <= 0) break;
    progress.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  if (!status) status = build.wait_for(std::chrono::milliseconds(deadline.remaining_ms()));
  if (!status) status = build.terminate(std::chrono::seconds(5));
  progress.finish();
  return BuildRun{*status, progress.step(), terminal ? progress.tail() : ""};
}

}  // namespace alfs
