#include "nfs/macos_nfs_mount.h"

#include <algorithm>

#include "host/mount_point.h"

namespace alfs::nfs {

std::vector<std::string> macos_nfs_mount_command(const NfsTarget& t, const std::string& mount_point,
                                                 bool read_only) {
  int timeo_deciseconds = std::max(1, t.timeout_ms / 100);
  std::string options = "vers=3,tcp,port=" + std::to_string(t.nfs_port) + ",mountport=" +
                        std::to_string(t.mount_port) + ",nolocks,soft,intr,timeo=" +
                        std::to_string(timeo_deciseconds) + ",retrans=2";
  if (read_only) options += ",rdonly";
  return {"/sbin/mount_nfs", "-o", options, t.host + ":" + t.export_path, mount_point};
}

std::string macos_default_mount_point(bool is_root, const std::string& home, const std::string& name,
                                      const std::function<bool(const std::string&)>& is_taken) {
  return choose_mount_point(default_mount_base(is_root, home, "Volumes"), name, is_taken);
}

}  // namespace alfs::nfs
