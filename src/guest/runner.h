// The seam between the agent's logic and the guest system: commands it runs and
// daemons it starts. The real one spawns processes; tests use a fake.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/process.h"
#include "common/protocol.h"
#include "guest/system.h"

namespace alfs::guest {

class Runner {
 public:
  virtual ~Runner() = default;
  // Runs to completion (killed at the timeout); output is stdout+stderr.
  virtual RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) = 0;
  // The same with `input` on the command's stdin (secrets: never in argv, never logged).
  virtual RunResult run_with_input(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                   std::string_view input) = 0;
  // A custom action's script: /bin/sh -c `script` with `env` (NAME=value) added.
  virtual RunResult run_script(const std::string& script, const std::vector<std::string>& env,
                               std::chrono::milliseconds timeout) = 0;
  // Starts a long-running daemon in the foreground mode of its own; stop_daemons() kills
  // them all (only before the guest powers off).
  virtual void start_daemon(const std::vector<std::string>& argv) = 0;
  virtual void stop_daemons() = 0;
  virtual void log(const std::string& line) = 0;
  // What the kernel logged since the previous call, one "kernel: ..." line each.
  virtual std::string kernel_messages() = 0;

  // Done without a process (a process start costs about 0.1 s under TCG):
  // mount(2) of a kernel pseudo-filesystem (nfsd, rpc_pipefs); empty, or why it failed.
  virtual std::string mount_pseudo(const std::string& type, const std::string& target) = 0;
  // Whether `path` exists, polled until `timeout` passes (a daemon's socket appearing).
  virtual bool wait_for_path(const std::string& path, std::chrono::milliseconds timeout) = 0;
  // A (/proc) file's text; empty when it cannot be read.
  virtual std::string read_text(const std::string& path) = 0;
  // The block device's readahead (BLKRASET); a failure is logged, not fatal.
  virtual void set_readahead(const std::string& device, int kib) = 0;
  // Writes a (/proc) setting; a failure is logged, not fatal.
  virtual void write_text(const std::string& path, const std::string& text) = 0;
  // What blkid(8) reports as `tag` (TYPE, LABEL) of a block device's filesystem, found
  // with libblkid: empty when it has none or cannot be read.
  virtual std::string probe_value(const std::string& device, const std::string& tag) = 0;
  // mount(2) of the block device `source` on `target` as the kernel filesystem `type`,
  // with `options` that are all flags (system.h's mount_flags). False when they are not,
  // or when the call fails: mount(8) then tries and says why in its own words (and falls
  // back to read-only where the device is).
  virtual bool mount_device(const std::string& source, const std::string& target, const std::string& type,
                            const std::string& options) = 0;
  // umount(2) of `target`: empty, or why it failed.
  virtual std::string unmount(const std::string& target) = 0;
  // mount(2) of `target` again read-only (MS_REMOUNT): empty, or why it failed.
  virtual std::string remount_read_only(const std::string& target) = 0;
  // sync(2): what was written reaches the disks.
  virtual void sync_disks() = 0;
};

// Runs one command of a step (with `input` on its stdin when given); on failure, the
// error to report: the step's name and the tool's own words.
std::optional<protocol::GuestError> run_step(Runner& runner, const std::string& name,
                                             const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                             std::optional<std::string_view> input = std::nullopt);
// A query's output, trimmed; empty when it failed.
std::string run_query(Runner& runner, const std::vector<std::string>& argv);
// Without the surrounding blanks and line ends.
std::string trim(const std::string& text);

class ProcessRunner : public Runner {
 public:
  RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) override;
  RunResult run_with_input(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           std::string_view input) override;
  RunResult run_script(const std::string& script, const std::vector<std::string>& env,
                       std::chrono::milliseconds timeout) override;
  void start_daemon(const std::vector<std::string>& argv) override;
  void stop_daemons() override;
  void log(const std::string& line) override;
  std::string kernel_messages() override;
  std::string mount_pseudo(const std::string& type, const std::string& target) override;
  bool wait_for_path(const std::string& path, std::chrono::milliseconds timeout) override;
  std::string read_text(const std::string& path) override;
  void set_readahead(const std::string& device, int kib) override;
  void write_text(const std::string& path, const std::string& text) override;
  std::string probe_value(const std::string& device, const std::string& tag) override;
  bool mount_device(const std::string& source, const std::string& target, const std::string& type,
                    const std::string& options) override;
  std::string unmount(const std::string& target) override;
  std::string remount_read_only(const std::string& target) override;
  void sync_disks() override;

 private:
  std::vector<Process> daemons_;
  KernelLog kernel_log_{KernelLog::Start::kNow};
};

}  // namespace alfs::guest
