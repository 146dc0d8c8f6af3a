#include "guest/agent.h"

#include <algorithm>
#include <ctime>
#include <sstream>
#include <thread>
#include <utility>

#include "guest/unlock.h"

namespace alfs::guest {

using namespace std::chrono_literals;
using protocol::GuestError;

namespace {
// "  a\n  b " -> "a, b"; "none" when empty.
std::string words(const std::string& text) {
  std::string out, word;
  std::istringstream in(text);
  while (in >> word) out += (out.empty() ? "" : ", ") + word;
  return out.empty() ? "none" : out;
}

// Module names for the filesystem types whose driver is not named like the type.
// The mount(8) type for a filesystem type: the kernel's exFAT driver cannot be
// exported over NFS (it has no export operations), so exFAT goes through FUSE,
// as NTFS does through ntfs-3g.
std::string mount_type_for(const std::string& fstype) { return fstype == "exfat" ? "exfat-fuse" : fstype; }

// Whether /proc/filesystems' text ("nodev\tproc\n\text4\n...") lists `type`.
bool lists_filesystem(const std::string& listing, const std::string& type) {
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line))
    if (line.substr(line.find('\t') + 1) == type) return true;
  return false;
}

// The options of the latest mount on `mount_point` in /proc/self/mounts' text (mount
// points without spaces or other characters the kernel escapes); empty when none.
std::string mount_options_of(const std::string& mounts, const std::string& mount_point) {
  std::istringstream in(mounts);
  std::string line, options;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string source, target, type, opts;
    if (fields >> source >> target >> type >> opts && target == mount_point) options = opts;
  }
  return options;
}

// Kernel filesystems whose read-only remount writes everything and marks them clean (a
// FUSE one, ntfs-3g's or exFAT's, finishes only when its daemon is unmounted).
bool remounts_clean(const std::string& fstype) {
  for (const char* type : {"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "vfat"})
    if (fstype == type) return true;
  return false;
}

std::string module_for(const std::string& fstype) {
  if (fstype == "ntfs" || fstype == "ntfs-3g" || fstype == "exfat") return "fuse";
  if (fstype == "ext2" || fstype == "ext3") return "ext4";
  if (fstype == "zfs_member") return "zfs";
  return fstype;
}
}  // namespace

std::string Agent::mount_options(const protocol::MountRequest& r) {
  std::string opts = r.options;
  if (r.read_only) opts = opts.empty() ? "ro" : opts + ",ro";
  return opts;
}

std::string Agent::export_options(const protocol::MountRequest& r, int fsid, bool shared) {
  // sync: the host's acknowledged writes are on the disk. no_root_squash: the host
  // client acts with the invoking user's uid (root's too: only the instance's own user and
  // root get in, the host admits them). root_squash: a peer on the network is root on its
  // own machine only. insecure: forwarded connections come from unprivileged ports. fsid:
  // needed when the filesystem has no block device (FUSE). --ignore-permissions: every
  // client is root in the guest, so the invoking user can write anywhere on a filesystem
  // whose files belong to others.
  std::string squash = r.squash_to_root ? "all_squash,anonuid=0,anongid=0" : shared ? "root_squash" : "no_root_squash";
  // The user's (--nfs-export-opts) last, so they win: the host let through none that
  // widens access.
  return std::string(r.read_only ? "ro" : "rw") + ",sync," + squash +
         ",insecure,no_subtree_check,fsid=" + std::to_string(fsid) +
         (r.export_options.empty() ? "" : "," + r.export_options);
}

std::optional<GuestError> Agent::step(const std::string& name, const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout) {
  return run_step(runner_, name, argv, timeout);
}

std::optional<GuestError> Agent::assemble(protocol::MountRequest& r, std::string& source) {
  for (size_t i = 0; i < r.devices.size(); ++i) {
    auto key = std::find_if(r.keys.begin(), r.keys.end(),
                            [&](const protocol::UnlockKey& k) { return k.device == r.devices[i]; });
    if (key == r.keys.end()) continue;
    if (runner_.probe_value(r.devices[i], "TYPE") == "zfs_member") {
      zfs_secret_ = std::move(key->secret);
      protocol::wipe(key->secret);
      continue;
    }
    std::string name = "alfs-crypt" + std::to_string(i);
    if (auto e = unlock_device(runner_, r.devices[i], name, key->secret, false)) return e;
    opened_.push_back(name);
    r.devices[i] = "/dev/mapper/" + name;
  }
  source = r.devices.front();
  if (r.raid) {
    runner_.run({"modprobe", "-a", "-q", "raid0", "raid1", "raid10", "raid456"}, 30s);
    // No --run: an array missing a member is refused with mdadm's own words, not started degraded.
    std::vector<std::string> assemble = {"mdadm", "--assemble", kRaidDevice};
    assemble.insert(assemble.end(), r.devices.begin(), r.devices.end());
    if (auto e = step("raid", assemble, 120s)) return e;
    raid_assembled_ = true;
    source = kRaidDevice;
  }
  if (!r.volume_group.empty()) {
    // The image's lvmlocal.conf has LVM make its device nodes itself (no udev).
    if (auto e = step("lvm", {"vgchange", "-ay", r.volume_group}, 120s)) {
      e->message += " (volume groups found: " + words(query({"vgs", "--noheadings", "-o", "vg_name"})) + ")";
      return e;
    }
    active_vg_ = r.volume_group;
    source = "/dev/" + r.volume_group + "/" + r.logical_volume;
    if (!runner_.run({"test", "-b", source}, 5s).ok())
      return GuestError{
          "lvm", "logical volume " + r.logical_volume + " not found in volume group " + r.volume_group +
                     " (it has: " + words(query({"lvs", "--noheadings", "-o", "lv_name", r.volume_group})) + ")"};
  }
  return std::nullopt;
}

std::optional<GuestError> Agent::prepare(const std::vector<std::string>& modules, const std::string& export_client) {
  if (prepared_) return std::nullopt;
  // Modules first, in one process: nfsd (and the network driver, where there is a
  // network device) are modules in Debian's kernel.
  bool device = !network_.address.empty();
  std::vector<std::string> modprobe = {"modprobe", "-a"};
  if (device) modprobe.push_back("virtio_net");
  modprobe.push_back("nfsd");
  modprobe.insert(modprobe.end(), modules.begin(), modules.end());
  if (auto e = step("modules", modprobe, 30s)) return e;

  // One ip process for all of it (a process start costs under TCG). Without a device
  // (QEMU) the host's forwards arrive over loopback (guest/stream_relay.h). The default
  // route: replies to clients that gvproxy shows with their own address (a -b peer) need it.
  std::string network = "link set lo up\n";
  if (device)
    network += "addr add " + network_.address + " dev eth0\nlink set eth0 up\nroute add default via " +
               network_.gateway + "\n";
  if (auto e = run_step(runner_, "network", {"ip", "-batch", "-"}, 10s, network)) return e;
  if (auto e = start_nfs()) return e;
  if (!export_client.empty()) {
    std::string options = export_options(protocol::MountRequest{}, 1, false);
    std::string target = export_client + ":" + protocol::kGuestMountPoint;
    // Not fatal: the mount exports as it would have.
    if (auto e = step("nfs", {"exportfs", "-i", "-o", options, target}, 10s)) {
      runner_.log("no early export: " + e->message);
    } else {
      early_target_ = target;
      early_options_ = options;
    }
  }
  prepared_ = true;
  return std::nullopt;
}

std::optional<GuestError> Agent::mount(protocol::MountRequest r) {
  std::vector<std::string> modules;
  if (!r.keys.empty()) modules.insert(modules.end(), {"dm_mod", "dm_crypt"});
  if (!r.volume_group.empty()) modules.push_back("dm_mod");
  if (!prepared_) {
    if (auto e = prepare(modules)) return e;
  } else if (!modules.empty()) {
    modules.insert(modules.begin(), {"modprobe", "-a"});
    if (auto e = step("modules", modules, 30s)) return e;
  }

  // A "diskless" custom action has nothing to mount: it exports a path of its own.
  bool diskless = r.devices.empty();
  std::string source, type;
  if (!diskless) {
    if (auto e = assemble(r, source)) return e;
    // Without a type (inside LUKS, LVM, RAID or a qcow2 image the host could not look
    // into) the guest looks itself. A missing module is not fatal: it may be built in,
    // and mount(8) reports an unknown type precisely.
    type = r.fstype.empty() ? runner_.probe_value(source, "TYPE") : r.fstype;
    if (!type.empty() && !lists_filesystem(runner_.read_text("/proc/filesystems"), module_for(type)))
      runner_.run({"modprobe", "-q", module_for(type)}, 30s);
  }

  action_ = r.action;
  bool pool = type == "zfs_member";
  // A pool's datasets are mounted below the alternate root.
  std::string mount_point = pool ? kZfsAltroot : protocol::kGuestMountPoint;
  script_env_ = {"ALFS_VM_MOUNT_POINT=" + mount_point, "ALFS_VM_DEVICE=" + source, "ALFS_VM_FSTYPE=" + type,
                 "ALFS_DISK=" + r.disk, "ALFS_ACTION=" + r.action.name};
  script_env_.insert(script_env_.end(), r.action.environment.begin(), r.action.environment.end());
  if (auto e = script("before_mount", action_.before_mount)) return e;
  scripts_started_ = true;
  if (!diskless)
    if (auto e = pool ? mount_pool(r) : mount_source(r, source, type)) return e;
  if (auto e = script("after_mount", action_.after_mount)) return e;
  std::string mounted_root = pool ? zfs_.root() : protocol::kGuestMountPoint;
  export_path_ = action_.override_nfs_export.empty() ? mounted_root : action_.override_nfs_export;
  if (diskless) {
    volume_.fstype = query({"findmnt", "-n", "-o", "FSTYPE", "-T", export_path_});
    volume_.read_only = r.read_only;
  }
  return serve_nfs(r);
}

std::optional<GuestError> Agent::mount_source(const protocol::MountRequest& r, const std::string& source,
                                              const std::string& type) {
  // A filesystem on several disks (btrfs RAID) needs its members registered first.
  if (r.devices.size() > 1 && !r.raid && r.volume_group.empty() && type == "btrfs") {
    std::vector<std::string> scan = {"btrfs", "device", "scan"};
    scan.insert(scan.end(), r.devices.begin(), r.devices.end());
    if (auto e = step("mount", scan, 60s)) return e;
  }
  std::string filesystems = runner_.read_text("/proc/filesystems");
  auto has_helper = [&](const std::string& t) {
    return runner_.wait_for_path("/usr/sbin/mount." + t, 0ms) || runner_.wait_for_path("/sbin/mount." + t, 0ms);
  };
  std::vector<std::string> mount = {"mount"};
  if (!r.fstype.empty()) {
    // mount(8) quietly probes when the kernel lacks the type: -t must mean that type.
    std::string t = mount_type_for(r.fstype);
    if (!lists_filesystem(filesystems, t) && !has_helper(t))
      return GuestError{"mount", "unknown filesystem type '" + r.fstype + "': the guest has no driver for it"};
    mount.insert(mount.end(), {"-t", t});
  }
  std::string opts = mount_options(r);
  if (!opts.empty()) mount.insert(mount.end(), {"-o", opts});
  mount.insert(mount.end(), {source, protocol::kGuestMountPoint});
  // NFS reads come to nfsd one rsize at a time: a deeper readahead than the default
  // 128 KiB keeps the disk ahead of them (sequential reads through the mount +20 % under
  // TCG). Set before the mount, when btrfs takes its own from the device. Not fatal.
  runner_.set_readahead(source, kReadaheadKib);
  runner_.kernel_messages();  // only what the kernel says about this mount is worth quoting
  // A kernel filesystem with no helper program is mounted without a mount(8) process
  // (0.1 s under TCG); mount(8) does the rest, and says why a mount failed.
  std::string kernel_type = mount_type_for(type);
  bool direct = !type.empty() && lists_filesystem(filesystems, kernel_type) && !has_helper(kernel_type) &&
                runner_.mount_device(source, protocol::kGuestMountPoint, kernel_type, opts);
  if (!direct) {
    RunResult mounted;
    try {
      mounted = runner_.run(mount, 120s);
    } catch (const std::exception& e) {
      return GuestError{"mount", e.what()};
    }
    if (!mounted.ok()) {
      std::string text = trim(mounted.output);
      if (text.empty()) text = "mount failed with " + mounted.status.describe();
      if (std::string kernel = trim(runner_.kernel_messages()); !kernel.empty()) text += "\n" + kernel;
      return GuestError{"mount", text};
    }
    volume_.warning = trim(mounted.output);
  }
  mounted_ = true;
  // The filesystem's own type (ntfs), not its driver's (fuseblk), unless nothing else is known.
  volume_.fstype = !type.empty() ? type : query({"findmnt", "-n", "-o", "FSTYPE", protocol::kGuestMountPoint});
  volume_.label = runner_.probe_value(source, "LABEL");
  std::string options = mount_options_of(runner_.read_text("/proc/self/mounts"), protocol::kGuestMountPoint);
  volume_.read_only = options == "ro" || options.rfind("ro,", 0) == 0;
  return std::nullopt;
}

std::optional<GuestError> Agent::mount_pool(const protocol::MountRequest& r) {
  // ZFS commits its shares with `exportfs -ra`, which drops exports not in /etc/exports:
  // the early one goes first, while it is known to be there.
  if (auto e = drop_early_export()) return e;
  auto failed = zfs_.open(r.devices, r.read_only, r.options, zfs_secret_);
  if (failed) return failed;
  volume_.fstype = "zfs";
  volume_.label = zfs_.name();
  volume_.read_only = r.read_only;
  return std::nullopt;
}

std::optional<GuestError> Agent::start_nfs() {
  if (std::string e = runner_.mount_pseudo("nfsd", "/proc/fs/nfsd"); !e.empty()) return GuestError{"nfs", e};
  nfsd_mounted_ = true;
  nfs_started_ = true;
  // Only before nfsd starts: it sizes its threads' buffers then.
  runner_.write_text("/proc/fs/nfsd/max_block_size", std::to_string(kNfsMaxBlockBytes));
  // nfsd starts its (NFSv4) client tracking even for v3 alone, and waits a second for
  // nfsdcld before it falls back to a slow usermode helper: with nfsdcld running, its
  // start takes 0.2 s instead of 1.5 s here, and it skips the grace period.
  if (std::string e = runner_.mount_pseudo("rpc_pipefs", "/run/rpc_pipefs"); !e.empty()) return GuestError{"nfs", e};
  runner_.start_daemon({"nfsdcld", "-F"});
  runner_.start_daemon({"rpcbind", "-f"});
  // rpc.nfsd registers with rpcbind: a slow guest (TCG on a busy host) may not have it
  // listening yet, and the registration is then refused (rpc.nfsd is retried below).
  runner_.wait_for_path("/run/rpcbind.sock", 10s);
  // Both serve nothing until exportfs adds the exports (serve_nfs): mountd reads them at
  // each request, and no client reaches nfsd before the host hears "ready".
  runner_.start_daemon({"rpc.mountd", "-F", "-N", "4", "-p", std::to_string(protocol::kGuestMountdPort)});
  // NFSv3 only: the host client is v3 (libnfs' v4 writes are broken), and v3 needs
  // no grace period before writes.
  std::optional<GuestError> nfsd;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(1s);
    nfsd = step("nfs", {"rpc.nfsd", "-N", "4", "-p", std::to_string(protocol::kGuestNfsPort), "8"}, 30s);
    if (!nfsd) break;
  }
  return nfsd;
}

std::optional<GuestError> Agent::drop_early_export() {
  if (early_target_.empty()) return std::nullopt;
  std::string target = std::exchange(early_target_, {});
  early_options_.clear();
  return step("nfs", {"exportfs", "-u", target}, 10s);
}

std::optional<GuestError> Agent::serve_nfs(const protocol::MountRequest& r) {
  // What the driver actually gave (read-only after a fallback) is what the export offers.
  protocol::MountRequest as_mounted = r;
  as_mounted.read_only = r.read_only || volume_.read_only;
  // The saved guest exported the mount point early with a default mount's options:
  // a mount that needs another export replaces it.
  bool early_fits =
      early_target_ == r.export_client + ":" + export_path_ && early_options_ == export_options(as_mounted, 1, false);
  if (!early_target_.empty() && !early_fits)
    if (auto e = step("nfs", {"exportfs", "-u", early_target_}, 10s)) return e;
  for (const auto& [client, shared] : {std::pair{r.export_client, false}, std::pair{r.shared_client, true}}) {
    if (client.empty()) continue;
    if (shared || !early_fits)
      if (auto e = step(
              "nfs", {"exportfs", "-i", "-o", export_options(as_mounted, 1, shared), client + ":" + export_path_}, 10s))
        return e;
    // A pool's other datasets, and the directories an action names (where its scripts
    // mount filesystems of their own), are exported too: each needs its own fsid, and
    // nohide lets an NFSv3 client step into it from the parent's directory.
    std::vector<std::string> nested;
    if (export_path_ == zfs_.root()) nested = zfs_.nested();
    for (const auto& subdir : action_.nfs_export_subdirs) nested.push_back(export_path_ + "/" + subdir);
    int fsid = 2;
    for (const auto& path : nested)
      if (auto e = step(
              "nfs",
              {"exportfs", "-i", "-o", export_options(as_mounted, fsid++, shared) + ",nohide", client + ":" + path},
              10s))
        return e;
  }
  return std::nullopt;
}

std::optional<GuestError> Agent::script(const std::string& name, const std::string& text) {
  if (text.empty()) return std::nullopt;
  RunResult result;
  try {
    result = runner_.run_script(text, script_env_, 600s);
  } catch (const std::exception& e) {
    return GuestError{name, e.what()};
  }
  std::string output = trim(result.output);
  if (!output.empty()) {
    if (output_)
      output_(name + ": " + output);
    else
      runner_.log(name + ": " + output);
  }
  if (result.ok()) return std::nullopt;
  return GuestError{name, "custom action " + action_.name + ": " + name + " script failed with " +
                              result.status.describe() + (output.empty() ? "" : ": " + output)};
}

std::string Agent::query(const std::vector<std::string>& argv) { return run_query(runner_, argv); }

bool Agent::shutdown() {
  // File writes and system calls, not processes: each process costs about 0.1 s under TCG,
  // and an unmount waits for all of this.
  if (nfs_started_) {
    runner_.write_text("/proc/fs/nfsd/threads", "0");  // what `rpc.nfsd 0` does
    // What `exportfs -ua` does for the kernel: the cached exports hold the mount busy. The
    // kernel flushes each cache whole whatever the time written.
    std::string now = std::to_string(::time(nullptr));
    for (const char* cache : {"nfsd.export", "nfsd.fh", "auth.unix.ip", "auth.unix.gid"})
      runner_.write_text(std::string("/proc/net/rpc/") + cache + "/flush", now);
    runner_.stop_daemons();
    nfs_started_ = false;
  }
  if (nfsd_mounted_) {
    runner_.unmount("/proc/fs/nfsd");
    runner_.unmount("/run/rpc_pipefs");
    nfsd_mounted_ = false;
  }
  if (scripts_started_) {
    // A failing before_unmount is only a warning: the data's safety needs the unmount.
    if (auto e = script("before_unmount", action_.before_unmount)) {
      shutdown_warning_ = e->message;
      runner_.log(e->message);
    }
    scripts_started_ = false;
  }
  if (zfs_.imported()) zfs_.close();
  if (mounted_) {
    // A kernel filesystem straight on the disk is only remounted read-only: that syncs it
    // and leaves it clean, as a system's root is left at shutdown, and the VM powers off
    // next. umount(2) would also free its page cache, page by page, about 8 us each under
    // TCG: 0.15-0.3 s after a 150 MiB write. What stands on a storage stack is unmounted,
    // for the stack to be taken down (an md array marks itself clean only when stopped).
    bool remount = opened_.empty() && active_vg_.empty() && !raid_assembled_ && remounts_clean(volume_.fstype);
    // The kernel may still hold the export briefly after nfsd stops: retry a few times.
    for (int attempt = 0; attempt < 20 && mounted_; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(250ms);
      mounted_ = !(remount ? runner_.remount_read_only(protocol::kGuestMountPoint)
                           : runner_.unmount(protocol::kGuestMountPoint))
                      .empty();
    }
    if (mounted_) runner_.log("cannot unmount " + std::string(protocol::kGuestMountPoint));
  }
  // Take the storage stack down in the reverse order of assembly.
  bool held = mounted_ || zfs_.imported();
  if (!active_vg_.empty() && !held) {
    runner_.run({"vgchange", "-an", active_vg_}, 60s);
    active_vg_.clear();
  }
  if (raid_assembled_ && !held) {
    runner_.run({"mdadm", "--stop", kRaidDevice}, 60s);
    raid_assembled_ = false;
  }
  while (!opened_.empty() && !held && active_vg_.empty() && !raid_assembled_) {
    runner_.run({"cryptsetup", "close", opened_.back()}, 60s);
    opened_.pop_back();
  }
  protocol::wipe(zfs_secret_);  // given for a pool that was never opened
  runner_.sync_disks();
  return !held;
}

}  // namespace alfs::guest
