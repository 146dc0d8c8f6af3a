// A log that others write and a guest can fill (the serial console, the instance's own
// stderr, where the guest's lines land): a child process copies what arrives on a pipe
// into the file up to a cap, then one line saying so, then reads and drops the rest, so
// writers never block on it; it ends once every writer has closed the pipe. A process
// rather than a thread: it outlives a writer that ends with _Exit or SIGKILL (the last
// lines are kept), and it holds no fd but the pipe's and the file's.
#pragma once

#include <cstdint>
#include <functional>

#include "common/fd.h"
#include "common/process.h"

namespace alfs {

class LogKeeper {
 public:
  // Starts the keeper of `file` (written from its current offset). Throws SystemError.
  // The keeper is a copy of this process: `forget`, run first in it, wipes what it must
  // not hold for its whole life (secrets). It may not allocate (we may have threads).
  LogKeeper(UniqueFd file, uint64_t cap_mib, const std::function<void()>& forget = nullptr);
  // Closes our write end and gives the keeper 5 s to take what is left (the other
  // writers have ended by then: a VM, say), then kills it.
  ~LogKeeper();
  LogKeeper(const LogKeeper&) = delete;
  LogKeeper& operator=(const LogKeeper&) = delete;

  // The pipe's write end, for the writers (dup2 it, or pass it on to a child).
  int write_fd() const { return write_.get(); }
  pid_t pid() const { return keeper_.pid(); }
  // For a keeper whose writer is this very process: closes our write end (keep a dup2'd
  // copy) and leaves the keeper to end after us.
  void detach();

 private:
  UniqueFd write_;
  Process keeper_;
};

}  // namespace alfs
