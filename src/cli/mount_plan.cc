#include "cli/mount_plan.h"

#include <algorithm>

#include "cli/platform.h"
#include "common/error.h"
#include "common/ipv4_network.h"
#include "common/log_level.h"
#include "disk/mount_options.h"
#include "nfs/nfs_options.h"

namespace alfs::cli {

namespace {

// cryptsetup's LUKS2 key derivation (argon2) wants this much guest memory.
constexpr int kLuksRamMib = 2560;

// The action's part in the guest, with the host variables it captures.
protocol::ActionScripts action_scripts(const Config& config, const std::string& name, const MountHost& host,
                                       std::vector<std::string>& captured) {
  if (name.empty()) return {};
  auto it = config.custom_actions.find(name);
  if (it == config.custom_actions.end()) {
    std::string known;
    for (const auto& [n, a] : config.custom_actions) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown custom action '" + name + "' (" + (known.empty() ? "none is defined" : "defined: " + known) +
                "; see `anylinuxfs actions`)");
  }
  const CustomAction& a = it->second;
  if (!a.required_os.empty() && a.required_os != "linux")
    throw Error("custom action '" + name + "' is for a " + a.required_os +
                " guest (required_os); anylinuxfs boots a Linux guest");
  protocol::ActionScripts scripts{name,          a.before_mount,        a.after_mount,       a.before_unmount,
                                  a.environment, a.override_nfs_export, a.nfs_export_subdirs};
  for (const auto& variable : a.capture_environment)
    if (auto value = host.environment(variable)) scripts.environment.push_back(variable + "=" + *value);
  // Captured, they travel only in the mount request: not in the environment of our
  // background processes, QEMU or any command we run.
  captured = a.capture_environment;
  return scripts;
}

// Who the NFS ports admit (vm/admission.h): the instance's user and root; with -b on an
// address off loopback the network too, as far as --allow (else [share] allow) lets it.
vm::Access share_access(const MountArgs& args, const Config& config, uid_t owner, const vm::VmBackend& backend,
                        std::vector<std::string>& warnings) {
  vm::Access access{owner, args.bind_address.rfind("127.", 0) != 0, {}};
  if (!args.allow.empty() && !access.shared)
    throw Error("--allow needs -b with an address off loopback: without it the mount is not shared");
  if (access.shared) {
    for (const auto& network : args.allow.empty() ? config.share_allow : args.allow)
      access.allow.push_back(parse_network(network));
    if (access.allow.empty())
      warnings.push_back("-b " + args.bind_address +
                         " shares the disk with every host that reaches that address (their root squashed); "
                         "--allow ADDR[/PREFIX] limits who may mount it");
  }
  if (!backend.enforces_access())
    warnings.push_back("with " + backend.name() +
                       ", every local user can reach the NFS ports (and --allow is not enforced); see the README's "
                       "Security model");
  return access;
}

}  // namespace

MountPlan plan_mount(MountArgs args, const Config& config, const vm::VmBackend& backend, const MountHost& host,
                     const std::function<Volume(const MountArgs&)>& resolve_volume) {
  MountPlan plan;
  // `-a <diskless action> <dir>`: a directory is never a disk, so it is the mount point.
  if (!args.action.empty() && args.mount_point.empty() && !args.disk.empty() && host.is_directory(args.disk))
    std::swap(args.disk, args.mount_point);
  SupervisorPlan& sup = plan.supervisor;
  vm::Access access = share_access(args, config, host.paths.owner_uid, backend, plan.warnings);
  protocol::ActionScripts action = action_scripts(config, args.action, host, plan.captured_variables);
  // A "diskless" action (no identifier) mounts nothing and exports a path of its own.
  plan.diskless = args.disk.empty();
  if (plan.diskless && action.override_nfs_export.empty())
    throw Error(args.action.empty()
                    ? "no disk given (see `anylinuxfs list`)"
                    : "custom action '" + args.action + "' has no override_nfs_export: it needs a disk to mount");
  Volume& volume = plan.volume;
  if (plan.diskless) {
    volume.name = args.action;
  } else {
    volume = resolve_volume(args);
  }
  bool read_only = has_option(args.options, "ro");

  // Under sudo root acts for the user who ran it (host/user_files.h). It opens the disks
  // and makes the mount point; the instance then runs as the user, unless root presents
  // the mount: the kernel NFS client (root's), or the user may not open /dev/fuse.
  const std::optional<UserIdentity>& user = host.user;
  bool drop_privileges = user && host.presentation == PresentationKind::kFuse && host.user_may_open_fuse;
  plan.default_mount_point = args.mount_point.empty();
  std::string mount_point =
      plan.default_mount_point
          ? default_mount_point(host.os, host.is_root, host.paths.home, volume.name, host.mount_point_taken)
          : std::filesystem::absolute(args.mount_point).lexically_normal().string();
  plan.make_mount_point_for_user = user && plan.default_mount_point;
  plan.prepare_users_mount_point = user && !plan.default_mount_point;

  sup.record.disk = plan.diskless ? "action:" + args.action : args.disk;
  sup.record.disk_path = plan.diskless ? "" : volume.disks.front().path;
  sup.record.mount_point = mount_point;
  sup.record.fstype = volume.fstype;
  sup.record.read_only = read_only;
  sup.instances_dir = host.paths.instances_dir;
  sup.owner_uid = host.paths.owner_uid;

  for (const auto& disk : volume.disks) sup.vm.disks.push_back({disk.path, read_only, disk.format});
  sup.vm.ram_mib = config.ram_size_mib;
  if (std::any_of(volume.probes.begin(), volume.probes.end(),
                  [](const ProbeResult& p) { return p.fstype == "crypto_LUKS"; }) &&
      sup.vm.ram_mib < kLuksRamMib) {
    plan.warnings.push_back("raising the VM's RAM from " + std::to_string(sup.vm.ram_mib) + " to " +
                            std::to_string(kLuksRamMib) + " MiB: unlocking LUKS needs it");
    sup.vm.ram_mib = kLuksRamMib;
  }
  sup.vm.vcpus = config.num_vcpus;
  // [vm] log_level: the host log's and the guest kernel console's; -v raises it to debug.
  sup.log_level = sup.vm.log_level = with_verbose(parse_log_level(config.log_level), args.verbose);

  protocol::MountRequest& request = sup.request;
  request.devices = volume.guest_devices;
  request.volume_group = volume.volume_group;
  request.logical_volume = volume.logical_volume;
  request.raid = volume.raid;
  request.disk = args.disk;
  request.squash_to_root = args.ignore_permissions;
  request.action = std::move(action);
  for (size_t i = 0; i < volume.probes.size(); ++i)
    if (is_encrypted_type(volume.probes[i].fstype)) plan.encrypted.push_back(i);
  // Which datasets of a pool are encrypted only the guest sees.
  plan.zfs_image = std::ranges::any_of(volume.probes, [](const ProbeResult& p) { return p.fstype == "zfs_member"; });
  plan.zfs_secret = plan.encrypted.empty() && !volume.probes.empty() && volume.probes.front().fstype == "zfs_member";
  request.fstype = volume.fstype;
  request.options = guest_mount_options(args.options, volume.fstype, host.paths.owner_uid, host.paths.owner_gid);
  request.read_only = read_only;
  // QEMU's stream relay connects the instance's own clients from the guest's loopback and
  // a share's network clients from kGuestNetworkClientAddress (the host admitted both,
  // vm/admission.h); gvproxy shows loopback clients as its gateway (192.168.127.1) and
  // others as themselves (before 0.8: as the gateway too). A share's clients are exported
  // with root squashed.
  request.export_client = backend.guest_network().gateway;
  if (access.shared) request.shared_client = backend.network_clients();
  sup.vm.access = std::move(access);

  sup.allow_other = host.is_root;
  // Where root presents the mount, QEMU still runs as the user (on the disks root opened).
  if (user) sup.vm.user = user;
  if (drop_privileges) {
    sup.vm.user.reset();  // the supervisor is the user already
    sup.drop_privileges = true;
    sup.user_uid = user->uid;
    sup.user_gid = user->gid;
    sup.allow_other = false;  // a user's FUSE mount may not (without user_allow_other)
  }
  sup.bind_address = args.bind_address;
  // Checked here, before anything starts: a refused option is a usage mistake.
  if (!args.nfs_options.empty()) {
    bool nfs_client = host.presentation == PresentationKind::kMacosNfs ||
                      (host.presentation == PresentationKind::kKernelNfs && host.is_root);
    if (!nfs_client)
      throw Error(
          "-n: NFS client options apply where the host's own NFS client mounts (macOS; root on a Linux "
          "kernel with NFS), and this mount is presented through FUSE");
    sup.nfs_client_options = nfs::checked_client_options(args.nfs_options);
  }
  if (!args.nfs_export_options.empty()) request.export_options = nfs::checked_export_options(args.nfs_export_options);
  return plan;
}

}  // namespace alfs::cli
