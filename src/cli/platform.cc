#include "cli/platform.h"

#include "common/process.h"
#include "disk/probe.h"
#include "host/mount_point.h"
#include "macos/diskutil.h"
#include "nfs/macos_nfs_mount.h"

namespace alfs {

std::string default_mount_point(vm::HostOs os, bool is_root, const std::string& home, const std::string& name,
                                const std::function<bool(const std::string&)>& is_taken) {
  if (os == vm::HostOs::kMacos) return nfs::macos_default_mount_point(is_root, home, name, is_taken);
  return choose_mount_point(default_mount_base(is_root, home), name, is_taken);
}

std::vector<ListedDisk> host_disks(vm::HostOs os) {
  if (os != vm::HostOs::kMacos) return list_host_disks();
  auto run = [](const std::vector<std::string>& argv) { return run_command(argv, std::chrono::seconds(30)); };
  return macos_host_disks(run, probe_path);
}

}  // namespace alfs
