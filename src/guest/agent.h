// What the guest agent does with a mount request: load modules, configure the
// network, mount the disk, export it over NFSv3; and the clean shutdown after.
// Every step runs through a Runner, so the sequence is testable with a fake.
#pragma once

#include <functional>
#include <optional>

#include "common/boot_params.h"
#include "common/protocol.h"
#include "guest/runner.h"
#include "guest/zfs.h"

namespace alfs::guest {

// Where an assembled RAID array appears.
inline constexpr const char* kRaidDevice = "/dev/md/alfs";
// Readahead of the mounted block device (the kernel's default is 128 KiB).
inline constexpr int kReadaheadKib = 2048;
// nfsd's largest READ and WRITE (its default is RAM/4096: 128 KiB in 512 MiB). Every RPC
// costs the emulated guest CPU, so 1 MiB ones read 1.4x faster through the mount under
// TCG; each nfsd thread holds a buffer of this size (8 MiB for the 8 threads).
inline constexpr int kNfsMaxBlockBytes = 1 << 20;

// What the guest found mounted, reported with "ready".
struct MountedVolume {
  std::string fstype;  // the filesystem's type ("ntfs", even when ntfs-3g's "fuseblk" mounts it)
  std::string label;
  bool read_only = false;  // as mounted: a driver may fall back to read-only by itself
  std::string warning;     // what mount(8) said while succeeding (e.g. ntfs-3g's fallback)
};

class Agent {
 public:
  // `network`: the guest's address and gateway, as the host's VM backend set them up.
  explicit Agent(Runner& runner, GuestNetwork network = relay_network())
      : runner_(runner), network_(std::move(network)), zfs_(runner) {}

  // What does not depend on the disk: modules, the network, the NFS server, and
  // `modules` besides. mount() does it when it was not done; done
  // before, it is what a restored guest does not repeat (vm/guest_template.h). With an
  // `export_client` (a saved guest's), the mount point is exported to it with a default
  // mount's options already (an exportfs process costs 0.1 s under TCG): the mount only
  // changes that export when its own differs. No client reaches nfsd before "ready".
  std::optional<protocol::GuestError> prepare(const std::vector<std::string>& modules = {},
                                              const std::string& export_client = "");

  // Runs every step: unlock encrypted devices, assemble RAID, activate LVM, mount,
  // export. On the first failure returns which step failed and the tool's own error
  // text (what was already done is undone by shutdown()). The request's secrets are
  // wiped once used.
  std::optional<protocol::GuestError> mount(protocol::MountRequest request);

  // Stops the NFS server, unmounts the filesystem and syncs. Safe after a partial
  // mount. Returns true when the filesystem is unmounted (or was never mounted).
  bool shutdown();

  const MountedVolume& mounted_volume() const { return volume_; }
  // What the NFS server exports: the mount, or a custom action's override_nfs_export.
  const std::string& export_path() const { return export_path_; }
  // A before_unmount script that failed during shutdown(): the unmount went on regardless.
  const std::string& shutdown_warning() const { return shutdown_warning_; }

  // Where custom action scripts' output goes (the host's instance log); the runner's log by default.
  void set_output_sink(std::function<void(const std::string&)> sink) { output_ = std::move(sink); }

  // The exports(5) options for a request; `fsid` tells the exported filesystems apart;
  // `shared`: for the request's shared_client (root squashed).
  static std::string export_options(const protocol::MountRequest& request, int fsid = 1, bool shared = false);
  // The mount(8) -o value: the user's options, plus "ro" when read-only.
  static std::string mount_options(const protocol::MountRequest& request);

 private:
  // Runs one command of a step; returns the error to report if it failed.
  std::optional<protocol::GuestError> step(const std::string& name, const std::vector<std::string>& argv,
                                           std::chrono::milliseconds timeout);
  // Unlocks, assembles and activates what the request names; sets `source` to the
  // block device to mount.
  std::optional<protocol::GuestError> assemble(protocol::MountRequest& request, std::string& source);

  // Output of a query command, trimmed; empty when it failed.
  std::string query(const std::vector<std::string>& argv);

  // The mount itself, then the NFS server; parts of mount().
  std::optional<protocol::GuestError> mount_source(const protocol::MountRequest& request, const std::string& source,
                                                   const std::string& type);
  std::optional<protocol::GuestError> serve_nfs(const protocol::MountRequest& request);
  // Removes prepare()'s early export, if there is one.
  std::optional<protocol::GuestError> drop_early_export();
  // nfsd and its daemons, with nothing exported; part of prepare().
  std::optional<protocol::GuestError> start_nfs();
  // A ZFS pool instead of mount_source().
  std::optional<protocol::GuestError> mount_pool(const protocol::MountRequest& request);

  // Runs one of the action's scripts (`step` names it); its output goes to the sink.
  std::optional<protocol::GuestError> script(const std::string& step, const std::string& text);

  Runner& runner_;
  GuestNetwork network_;
  std::function<void(const std::string&)> output_;
  MountedVolume volume_;
  protocol::ActionScripts action_;
  std::vector<std::string> script_env_;  // ALFS_* and the action's environment
  std::string export_path_;
  std::string shutdown_warning_;
  bool scripts_started_ = false;     // before_unmount runs only after before_mount did
  std::vector<std::string> opened_;  // dm-crypt mappings, to close at shutdown
  bool raid_assembled_ = false;
  std::string active_vg_;
  ZfsPool zfs_;
  std::string zfs_secret_;  // a ZFS pool's key (its datasets' encryption is known only here)
  bool mounted_ = false;
  bool nfsd_mounted_ = false;
  bool nfs_started_ = false;
  bool prepared_ = false;
  std::string early_target_, early_options_;  // what prepare() exported, if anything
};

}  // namespace alfs::guest
