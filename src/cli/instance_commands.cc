// status, unmount, stop: the commands that act on running instances. A record is its
// user's data (instance/record.h): a pid is signalled only when it checks out as the
// instance's supervisor or VM, and the mount point is released with no more than the
// user's own rights (under sudo: fusermount3 run as them, rmdir with their credentials).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/say.h"
#include "common/deadline.h"
#include "common/error.h"
#include "common/os.h"
#include "common/printable.h"
#include "common/process.h"
#include "config/paths.h"
#include "host/mount_point.h"
#include "host/user_files.h"
#include "instance/record.h"

namespace alfs::cli {

using namespace std::chrono_literals;

namespace {

constexpr auto kShutdownTimeout = 90s;

// The FUSE mount left by a dead supervisor and the mount point it made.
void release_mount_point(const InstanceRecord& r) {
  if (is_mount_point(r.mount_point)) fuse_unmount(r.mount_point, /*lazy=*/true);
  if (r.created_mount_point) ::rmdir(r.mount_point.c_str());
}

// Leftovers of instances whose supervisor died (kill -9, crash): a dead FUSE mount
// ("transport endpoint is not connected") and the record.
void clean_stale(const InstanceRegistry& registry) {
  std::vector<InstanceRecord> stale;
  registry.list(&stale);
  for (const auto& r : stale) {
    if (process_alive(r.vm_pid, r.vm_start)) continue;  // the guest is still shutting down by itself
    release_mount_point(r);
    registry.remove(r.id);
  }
}

// Under sudo, where root presents the mount (kernel NFS, or no /dev/fuse for the user),
// the mount is root's: its supervisor (checked by list()) unmounts it, asked by SIGTERM.
bool presented_by_root(const InstanceRecord& r) { return acting_for() && process_uid(r.supervisor_pid) == 0u; }

std::vector<InstanceRecord> targets(const InstanceRegistry& registry, const std::string& target) {
  if (target.empty()) return registry.list();
  return {registry.choose(target)};
}

bool wait_until_gone(pid_t pid, uint64_t start, std::chrono::seconds timeout) {
  Deadline deadline(timeout);
  while (process_alive(pid, start)) {
    if (deadline.expired()) return false;
    // Woken as it exits, where 50 ms polls cost 25 ms of every unmount -w on average. The
    // identity check above stays the judge (a pid reused meanwhile is watched a second).
    if (!wait_for_exit(pid, std::min(deadline.remaining_ms(), 1000))) std::this_thread::sleep_for(50ms);
  }
  return true;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

int status_command(bool json) {
  InstanceRegistry registry(resolve_paths());
  clean_stale(registry);
  auto instances = registry.list();
  if (json) {
    std::fputs(status_json(instances).c_str(), stdout);
    return 0;
  }
  // The filesystem type is the guest's word.
  for (const auto& r : instances) std::printf("%s\n", printable(r.status_line()).c_str());
  return 0;
}

int unmount_command(const std::string& target, bool wait) {
  InstanceRegistry registry(resolve_paths());
  clean_stale(registry);
  auto instances = targets(registry, target);
  if (instances.empty() && !target.empty()) return 1;
  int rc = 0;
  for (const auto& r : instances) {
    // Unmounting the FUSE mount is the signal: the supervisor then stops the guest cleanly.
    // A mount root presents for a sudo user its supervisor unmounts itself.
    say().step("unmounting " + r.mount_point + ": its guest then unmounts the disk and powers off");
    if (presented_by_root(r)) {
      ::kill(r.supervisor_pid, SIGTERM);
    } else if (RunResult result = fuse_unmount(r.mount_point, /*lazy=*/false); !result.ok()) {
      std::fprintf(stderr, "anylinuxfs: cannot unmount %s: %s\n", r.mount_point.c_str(),
                   trimmed(result.output).c_str());
      rc = 1;
      continue;
    }
    if (wait)
      say().step("waiting until the instance of " + r.mount_point + " (pid " + std::to_string(r.supervisor_pid) +
                 ") is gone");
    if (wait && !wait_until_gone(r.supervisor_pid, r.supervisor_start, kShutdownTimeout)) {
      std::fprintf(stderr, "anylinuxfs: %s: the VM did not shut down within %lld s (see `anylinuxfs log`)\n",
                   r.mount_point.c_str(), static_cast<long long>(kShutdownTimeout.count()));
      rc = 1;
      continue;
    }
    say().done("unmounted " + r.mount_point);
  }
  return rc;
}

int stop_command(const std::string& target, bool force) {
  InstanceRegistry registry(resolve_paths());
  clean_stale(registry);
  auto instances = targets(registry, target);
  int rc = 0;
  for (const auto& r : instances) {
    if (!force) {
      say().step("asking the instance of " + r.mount_point + " (pid " + std::to_string(r.supervisor_pid) + ") to stop");
      ::kill(r.supervisor_pid, SIGTERM);
      if (!wait_until_gone(r.supervisor_pid, r.supervisor_start, kShutdownTimeout)) {
        std::fprintf(stderr, "anylinuxfs: %s did not stop within %lld s; `anylinuxfs stop -f %s` kills it\n",
                     r.mount_point.c_str(), static_cast<long long>(kShutdownTimeout.count()), r.mount_point.c_str());
        rc = 1;
        continue;
      }
    } else {
      // No clean unmount in the guest: the filesystem is left as after a power cut.
      // The supervisor sees its VM die, reaps it and releases the mount point; if it
      // does not within 10 s it is killed too and its leftovers are cleaned here.
      say().step("killing the VM of " + r.mount_point + " (pid " + std::to_string(r.vm_pid) + ")");
      if (is_instance_vm(r.vm_pid, r.vm_start, r.supervisor_pid)) ::kill(r.vm_pid, SIGKILL);
      if (!wait_until_gone(r.supervisor_pid, r.supervisor_start, 10s)) {
        ::kill(r.supervisor_pid, SIGKILL);
        wait_until_gone(r.supervisor_pid, r.supervisor_start, 10s);
      }
      release_mount_point(r);
      registry.remove(r.id);
    }
    say().done("stopped " + r.mount_point);
  }
  return rc;
}

}  // namespace alfs::cli
