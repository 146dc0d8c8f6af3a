#include "nfs/macos_nfs_mount.h"

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/process.h"
#include "host/mount_point.h"

namespace alfs::nfs {

std::vector<std::string> macos_nfs_mount_command(const NfsTarget& t, const std::string& mount_point, bool read_only) {
  int timeo_deciseconds = std::max(1, t.timeout_ms / 100);
  // nosuid,nodev: the disk's setuid files and device nodes are the guest's, never the host's.
  std::string options = "vers=3,tcp,port=" + std::to_string(t.nfs_port) + ",mountport=" + std::to_string(t.mount_port) +
                        ",nosuid,nodev,nolocks,soft,intr,timeo=" + std::to_string(timeo_deciseconds) + ",retrans=2";
  if (read_only) options += ",rdonly";
  // Last, so they win; checked (nfs/nfs_options.h): none of them undoes the above's trust.
  if (!t.client_options.empty()) options += "," + t.client_options;
  return {"/sbin/mount_nfs", "-o", options, t.host + ":" + t.export_path, mount_point};
}

std::string macos_default_mount_point(bool is_root, const std::string& home, const std::string& name,
                                      const std::function<bool(const std::string&)>& is_taken) {
  return choose_mount_point(default_mount_base(is_root, home, "Volumes"), name, is_taken);
}

std::unique_ptr<MacosNfsMount> MacosNfsMount::mount(const NfsTarget& target, const std::string& mount_point,
                                                    bool read_only) {
  RunResult r = run_command(macos_nfs_mount_command(target, mount_point, read_only), std::chrono::seconds(60));
  if (!r.ok()) throw Error("cannot mount the guest's export with mount_nfs: " + r.output);
  // getfsstat spells mount points resolved through symlinks (/tmp is /private/tmp).
  std::string spelled = std::filesystem::weakly_canonical(mount_point).string();
  return std::make_unique<MacosNfsMount>(spelled, system_mount_table(), [spelled] {
    // -f: the guest is about to go; a process with a file open there must not keep it.
    run_command({"/sbin/umount", "-f", spelled}, std::chrono::seconds(30));
  });
}

MacosNfsMount::MacosNfsMount(std::string mount_point, std::shared_ptr<const MountTable> table,
                             std::function<void()> unmount)
    : mount_point_(std::move(mount_point)), table_(std::move(table)), unmount_(std::move(unmount)) {}

int MacosNfsMount::run() {
  if (!wait_until_unmounted(*table_, mount_point_, std::chrono::milliseconds(500), exit_requested_)) unmount_once();
  return 0;
}

void MacosNfsMount::release_now() {
  unmount_once();
  exit_requested_ = true;
}

void MacosNfsMount::unmount_once() {
  if (!unmounted_.exchange(true)) unmount_();
}

}  // namespace alfs::nfs
