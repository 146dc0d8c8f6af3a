#include "disk/mount_options.h"

#include <set>

namespace alfs {

bool has_option(const std::string& options, const std::string& name) {
  size_t pos = 0;
  while (pos <= options.size()) {
    size_t comma = options.find(',', pos);
    std::string opt = options.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (opt == name || opt.rfind(name + "=", 0) == 0) return true;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

std::string guest_mount_options(const std::string& user_options, const std::string& fstype, uid_t uid, gid_t gid) {
  static const std::set<std::string> kNoOwnership = {"vfat", "msdos", "exfat", "ntfs", "ntfs3", "ntfs-3g"};
  std::string options = user_options;
  auto add = [&](const std::string& opt) { options += (options.empty() ? "" : ",") + opt; };
  if (kNoOwnership.count(fstype)) {
    if (!has_option(options, "uid")) add("uid=" + std::to_string(uid));
    if (!has_option(options, "gid")) add("gid=" + std::to_string(gid));
  }
  return options;
}

}  // namespace alfs
