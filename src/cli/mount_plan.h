// What `anylinuxfs mount` decides, apart from what it does: the arguments, the config,
// the backend's traits, the host's facts and the disks' probe results become a plan
// (pure, so every rule is unit-tested without forking); mount_command.cc then performs
// it: locks, mount point, image, logs, secrets, the supervisor.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/process.h"
#include "config/config.h"
#include "config/paths.h"
#include "disk/volume.h"
#include "instance/presenter.h"
#include "instance/supervisor.h"
#include "vm/qemu.h"
#include "vm/vm_backend.h"

namespace alfs::cli {

struct MountArgs {
  std::string disk;
  std::string mount_point;                 // empty: the default, /mnt/<label> or ~/mnt/<label>
  std::string options;                     // -o
  std::string fstype;                      // -t
  std::string key_file;                    // -k (or $ALFS_KEY_FILE)
  bool one_passphrase_for_all = false;     // -p 1 (-p a: one prompt per drive)
  std::string action;                      // -a: a custom action of the config
  bool ignore_permissions = false;         // the invoking user may write anywhere (all squashed to root)
  std::string bind_address = "127.0.0.1";  // -b: NFS reachable on this address (0.0.0.0: everywhere)
  std::vector<std::string> allow;          // --allow: who a -b share admits (replaces [share] allow)
  bool verbose = false;
  bool quiet = false;              // -q: no progress and no "mounted at" line; warnings and errors only
  bool build_image = true;         // false (mount.anylinuxfs): no image yet is an error, not a build
  bool remount = false;            // -r: unmount the host's own mounts of the disks first
  std::string backend;             // --backend qemu|krun|auto; empty: the config's vm.backend
  std::string nfs_options;         // -n: for the host's NFS client (kernel or macOS only)
  std::string nfs_export_options;  // --nfs-export-opts: for the guest's export
};

// What the host says, asked before planning.
struct MountHost {
  Paths paths;  // the invoking user's home and ids
  vm::HostOs os = vm::HostOs::kLinux;
  bool is_root = false;
  std::optional<UserIdentity> user;                         // under sudo: the user root acts for (host/user_files.h)
  bool user_may_open_fuse = false;                          // that user may open /dev/fuse
  PresentationKind presentation = PresentationKind::kFuse;  // root's (chosen_presentation)
  std::function<bool(const std::string&)> mount_point_taken;
  std::function<bool(const std::string&)> is_directory;
  std::function<std::optional<std::string>(const std::string&)> environment;  // getenv
};

struct MountPlan {
  std::vector<std::string> warnings;  // for the user, before anything is done
  bool diskless = false;              // an action that mounts no disk
  Volume volume;
  bool default_mount_point = false;  // no mount point given: plan.record.mount_point is ours
  // Under sudo: root makes the default mount point for the user (unless it exists, empty),
  // or checks (and makes) theirs with their credentials.
  bool make_mount_point_for_user = false;
  bool prepare_users_mount_point = false;
  std::vector<std::string> captured_variables;  // taken into the action: out of our environment
  std::vector<size_t> encrypted;                // volume.probes indices that need a secret
  bool zfs_secret = false;                      // a ZFS pool: a secret goes along if one is given
  bool zfs_image = false;                       // a ZFS pool member: the image variant with OpenZFS boots it
  // All but what performing the plan fills in: the id, logs and instance directory, the
  // image, the accelerator, the secrets, the disks' fds and locks.
  SupervisorPlan supervisor;
};

// Throws Error for what cannot be mounted (an unknown action, --allow without a share, no
// disk...). `resolve_volume` probes the disk, called only when there is one.
MountPlan plan_mount(MountArgs args, const Config& config, const vm::VmBackend& backend, const MountHost& host,
                     const std::function<Volume(const MountArgs&)>& resolve_volume);

}  // namespace alfs::cli
