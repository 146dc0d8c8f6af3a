// `mount -t anylinuxfs` and fstab: mount(8) runs /sbin/mount.anylinuxfs (a link to this
// binary) as `mount.anylinuxfs SPEC DIR [-sfnv] [-N NS] [-o OPTIONS] [-t TYPE]`; this turns
// that into our own mount's arguments.
#pragma once

#include <string>
#include <vector>

#include "cli/mount_plan.h"
#include "common/error.h"

namespace alfs::cli {

inline constexpr const char* kMountHelperName = "mount.anylinuxfs";

// A helper invocation mount(8) should not have made (mount(8) exits 1 for these).
class HelperUsageError : public Error {
 public:
  using Error::Error;
};

struct HelperMount {
  MountArgs args;
  bool fake = false;  // -f: check the arguments, mount nothing
};

// `argv` without the program name. Options of ours inside -o: `fstype=T` (also
// `-t anylinuxfs.T`), `keyfile=PATH`, `action=NAME`, `backend=B`, `ignore_permissions`;
// fstab's and mount(8)'s own (`user`, `nofail`, `_netdev`, `x-*`, ...) are dropped; the rest
// go to the guest's mount. Throws HelperUsageError.
HelperMount parse_mount_helper_args(const std::vector<std::string>& argv);

}  // namespace alfs::cli
