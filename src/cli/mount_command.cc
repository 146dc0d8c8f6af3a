// `anylinuxfs [mount] DISK [MOUNT_POINT]`: checks everything that can be checked on
// the host, then starts the instance's supervisor in the background and waits for
// it to report the mount ready (or the precise reason it is not).
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cli/commands.h"
#include "cli/platform.h"
#include "cli/tool_vm.h"
#include "common/deadline.h"
#include "common/error.h"
#include "common/ipv4_network.h"
#include "common/printable.h"
#include "common/process.h"
#include "config/config.h"
#include "config/paths.h"
#include "disk/disk_ident.h"
#include "disk/host_mounts.h"
#include "disk/mount_options.h"
#include "disk/volume.h"
#include "host/mount_point.h"
#include "host/privileges.h"
#include "host/secrets.h"
#include "host/user_files.h"
#include "image/guest_image.h"
#include "instance/daemon.h"
#include "instance/disk_lock.h"
#include "instance/presenter.h"
#include "instance/record.h"
#include "vm/accel.h"
#include "vm/backends.h"

namespace alfs::cli {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// cryptsetup's LUKS2 key derivation (argon2) wants this much guest memory.
constexpr int kLuksRamMib = 2560;

// The mount command gives up waiting after this; the supervisor's own deadlines are shorter.
constexpr auto kReadyTimeout = 600s;

// Reads the supervisor's reports until "ready" or "error"; returns the error text, if any.
std::optional<std::string> wait_for_ready(const UniqueFd& report, bool verbose) {
  Deadline deadline(kReadyTimeout);
  std::string buffer;
  for (;;) {
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      // The reports quote the guest: shown with its control characters escaped.
      if (line.rfind(kReportReady, 0) == 0) return std::nullopt;
      if (line.rfind(kReportError, 0) == 0) return printable(line.substr(std::strlen(kReportError)));
      if (line.rfind(kReportWarning, 0) == 0)
        std::fprintf(stderr, "anylinuxfs: warning: %s\n", printable(line.substr(std::strlen(kReportWarning))).c_str());
      if (verbose && line.rfind(kReportProgress, 0) == 0)
        std::fprintf(stderr, "anylinuxfs: %s\n", printable(line.substr(std::strlen(kReportProgress))).c_str());
    }
    pollfd pfd{report.get(), POLLIN, 0};
    int r = ::poll(&pfd, 1, deadline.remaining_ms());
    if (r == 0) return "the instance did not become ready within 600 s (see `anylinuxfs log`)";
    if (r < 0) {
      if (errno == EINTR) continue;
      throw SystemError("poll");
    }
    char buf[1024];
    ssize_t n = ::read(report.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "the instance's supervisor exited before reporting (see `anylinuxfs log`)";
    buffer.append(buf, static_cast<size_t>(n));
  }
}

// The action's part in the guest, with the host variables it captures.
protocol::ActionScripts action_scripts(const Config& config, const std::string& name) {
  if (name.empty()) return {};
  auto it = config.custom_actions.find(name);
  if (it == config.custom_actions.end()) {
    std::string known;
    for (const auto& [n, a] : config.custom_actions) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown custom action '" + name + "' (" + (known.empty() ? "none is defined" : "defined: " + known) +
                "; see `anylinuxfs actions`)");
  }
  const CustomAction& a = it->second;
  protocol::ActionScripts scripts{name,          a.before_mount,       a.after_mount, a.before_unmount,
                                  a.environment, a.override_nfs_export};
  for (const auto& variable : a.capture_environment)
    if (const char* value = std::getenv(variable.c_str())) scripts.environment.push_back(variable + "=" + value);
  // Captured, they travel only in the mount request: not in the environment of our
  // background processes, QEMU or any command we run.
  scrub_environment(a.capture_environment);
  return scripts;
}

// One writer per disk: a disk the host has mounted itself is refused, unless -r lets us
// unmount it (deepest mount point first, as host_mounts_of orders them).
void release_host_mounts(const std::string& disk, bool remount) {
  std::vector<HostMount> mounts = host_mounts_of(disk);
  if (mounts.empty()) return;
  if (!remount) {
    std::string points;
    for (const auto& m : mounts) points += (points.empty() ? "" : ", ") + m.mount_point;
    throw Error(disk + " is mounted by the host at " + points +
                "; unmount it first, or pass -r to let anylinuxfs unmount it");
  }
  for (const auto& m : mounts) {
    RunResult result = run_command({"umount", m.mount_point}, 30s);
    if (result.ok()) continue;
    std::string output = result.output;
    while (!output.empty() && std::isspace(static_cast<unsigned char>(output.back()))) output.pop_back();
    throw Error("cannot unmount the host's mount of " + disk + " at " + m.mount_point + ": " +
                (output.empty() ? "umount: " + result.status.describe() : output));
  }
}

// Who the NFS ports admit (vm/admission.h): the instance's user and root; with -b on an
// address off loopback the network too, as far as --allow (else [share] allow) lets it.
vm::Access share_access(const MountArgs& args, const Config& config, uid_t owner, const vm::VmBackend& backend) {
  vm::Access access{owner, args.bind_address.rfind("127.", 0) != 0, {}};
  if (!args.allow.empty() && !access.shared)
    throw Error("--allow needs -b with an address off loopback: without it the mount is not shared");
  if (access.shared) {
    for (const auto& network : args.allow.empty() ? config.share_allow : args.allow)
      access.allow.push_back(parse_network(network));
    if (access.allow.empty())
      std::fprintf(stderr,
                   "anylinuxfs: warning: -b %s shares the disk with every host that reaches that address "
                   "(their root squashed); --allow ADDR[/PREFIX] limits who may mount it\n",
                   args.bind_address.c_str());
  }
  if (!backend.enforces_access())
    std::fprintf(stderr,
                 "anylinuxfs: warning: with %s, every local user can reach the NFS ports (and --allow is not "
                 "enforced); see the README's Security model\n",
                 backend.name().c_str());
  return access;
}

}  // namespace

int mount_command(const MountArgs& given) {
  MountArgs args = given;
  // `-a <diskless action> <dir>`: a directory is never a disk, so it is the mount point.
  if (!args.action.empty() && args.mount_point.empty() && !args.disk.empty() && fs::is_directory(args.disk))
    std::swap(args.disk, args.mount_point);
  Paths paths = resolve_paths();
  Config config = load_config(default_config_files(paths.home));
  // First: a backend that cannot run stops the mount before anything is done.
  std::unique_ptr<vm::VmBackend> backend = vm::make_backend(args.backend.empty() ? config.backend : args.backend);
  vm::Access access = share_access(args, config, paths.owner_uid, *backend);
  protocol::ActionScripts action = action_scripts(config, args.action);
  // A "diskless" action (no identifier) mounts nothing and exports a path of its own.
  bool diskless = args.disk.empty();
  if (diskless && action.override_nfs_export.empty())
    throw Error(args.action.empty()
                    ? "no disk given (see `anylinuxfs list`)"
                    : "custom action '" + args.action + "' has no override_nfs_export: it needs a disk to mount");
  Volume volume;
  if (diskless) {
    volume.name = args.action;
  } else {
    volume = resolve_volume(parse_disk_ident(args.disk), args.fstype);
  }
  bool read_only = has_option(args.options, "ro");
  std::string fstype = volume.fstype;

  for (const auto& disk : volume.disks) release_host_mounts(disk.path, args.remount);
  InstanceRegistry registry(paths);
  std::vector<UniqueFd> disk_locks;
  for (const auto& disk : volume.disks) {
    auto holder = registry.find(disk.path);
    disk_locks.push_back(lock_disk(disk.path, read_only, holder ? "mounted at " + holder->mount_point : ""));
  }

  bool is_root = ::geteuid() == 0;
  // Under sudo root acts for the user who ran it (host/user_files.h). It opens the disks
  // and makes the mount point; the instance then runs as the user, unless root presents
  // the mount: the kernel NFS client (root's), or the user may not open /dev/fuse.
  std::optional<UserIdentity> user = acting_for();
  bool drop_privileges = user && chosen_presentation(true) == PresentationKind::kFuse &&
                         user_can_access("/dev/fuse", R_OK | W_OK, user->uid, user->gid);
  std::string mount_point;
  if (args.mount_point.empty()) {
    mount_point = default_mount_point(vm::read_host_facts().os, is_root, paths.home, volume.name, mount_point_taken);
  } else {
    mount_point = fs::absolute(args.mount_point).lexically_normal().string();
    validate_mount_point(mount_point);
  }

  GuestImage image = ensure_guest_image(paths, false, STDERR_FILENO);

  make_dirs(paths.logs_dir, 0700);
  make_dirs(paths.instances_dir, 0700);
  SupervisorPlan plan;
  plan.record.id = std::to_string(::getpid());
  plan.record.disk = diskless ? "action:" + args.action : args.disk;
  plan.record.disk_path = diskless ? "" : volume.disks.front().path;
  plan.record.mount_point = mount_point;
  plan.record.fstype = fstype;
  plan.record.read_only = read_only;
  plan.record.log_file = log_file(paths, plan.record.id);
  plan.record.console_log = console_log_file(paths, plan.record.id);
  plan.record.supervisor_pid = ::getpid();  // until the supervisor records its own
  plan.record.supervisor_start = process_start_time(::getpid());
  plan.instance_dir = registry.dir_of(plan.record.id);
  plan.instances_dir = paths.instances_dir;
  plan.owner_uid = paths.owner_uid;
  make_dirs(plan.instance_dir, 0700);
  // Until the supervisor owns the instance, a failure here (a missing key file, a KVM
  // probe error...) must leave no record, directory or mount point behind.
  struct Unstarted {
    const InstanceRegistry& registry;
    const SupervisorPlan& plan;
    bool started = false;
    ~Unstarted() {
      if (started) return;
      registry.remove(plan.record.id);
      if (plan.record.created_mount_point) remove_mount_point(plan.record.mount_point, plan.mount_point_is_roots);
    }
  } unstarted{registry, plan};
  if (user && args.mount_point.empty() && !fs::exists(mount_point)) {
    make_mount_point_for(mount_point, user->uid, user->gid);
    plan.record.created_mount_point = plan.mount_point_is_roots = true;
  } else if (user && !args.mount_point.empty()) {
    UsersMountPoint given = prepare_users_mount_point(mount_point, user->uid, !drop_privileges);
    plan.record.mount_point = mount_point = given.path;
    plan.record.created_mount_point = given.created;
  }
  UniqueFd log = open_run_log(paths, plan.record.id);
  registry.save(plan.record);
  mark_latest_logs(paths, plan.record.id, running_runs(paths));

  plan.vm.name = "anylinuxfs-" + plan.record.id;
  plan.vm.kernel = image.kernel;
  plan.vm.initrd = image.initrd;
  plan.vm.rootfs = image.rootfs;
  plan.vm.root_label = image.root_label;
  for (const auto& disk : volume.disks) plan.vm.disks.push_back({disk.path, read_only, disk.format});
  plan.vm.ram_mib = config.ram_size_mib;
  if (std::any_of(volume.probes.begin(), volume.probes.end(),
                  [](const ProbeResult& p) { return p.fstype == "crypto_LUKS"; }) &&
      plan.vm.ram_mib < kLuksRamMib) {
    std::fprintf(stderr, "anylinuxfs: warning: raising the VM's RAM from %d to %d MiB: unlocking LUKS needs it\n",
                 plan.vm.ram_mib, kLuksRamMib);
    plan.vm.ram_mib = kLuksRamMib;
  }
  plan.vm.vcpus = config.num_vcpus;
  // [vm] log_level: the host log's and the guest kernel console's; -v raises it to debug.
  plan.log_level = plan.vm.log_level = with_verbose(parse_log_level(config.log_level), args.verbose);
  plan.vm.accel = vm::accel_for(*backend, image.dir + "/kvm-verdict", [&] {
    if (args.verbose) std::fprintf(stderr, "anylinuxfs: checking whether the guest boots under KVM\n");
    return vm::guest_boots_under_kvm(*backend, plan.vm, plan.instance_dir);
  });
  plan.request.devices = volume.guest_devices;
  plan.request.volume_group = volume.volume_group;
  plan.request.logical_volume = volume.logical_volume;
  plan.request.raid = volume.raid;
  plan.request.disk = args.disk;
  plan.request.squash_to_root = args.ignore_permissions;
  plan.request.action = std::move(action);
  std::vector<size_t> encrypted;
  for (size_t i = 0; i < volume.probes.size(); ++i)
    if (is_encrypted_type(volume.probes[i].fstype)) encrypted.push_back(i);
  if (!encrypted.empty()) {
    std::vector<std::string> names;
    for (size_t i : encrypted) names.push_back(volume.drive_names[i]);
    auto secrets = collect_secrets(names, system_secret_sources(args.key_file, args.one_passphrase_for_all));
    plan.request.keys.reserve(encrypted.size());  // an outgrown buffer would keep short secrets' bytes
    for (size_t n = 0; n < encrypted.size(); ++n)
      plan.request.keys.push_back({volume.guest_devices[encrypted[n]], std::move(secrets[n])});
    protocol::wipe(secrets);  // a short string's bytes stay behind when it is moved
  } else if (!volume.probes.empty() && volume.probes.front().fstype == "zfs_member") {
    // Which datasets are encrypted only the guest sees: a passphrase goes along when
    // given (-k, ALFS_PASSPHRASE), and the guest says when one was needed.
    if (auto secret = given_secret(1, system_secret_sources(args.key_file, false)))
      plan.request.keys.push_back({volume.guest_devices.front(), std::move(*secret)});
  }
  plan.request.fstype = fstype;
  plan.request.options = guest_mount_options(args.options, fstype, paths.owner_uid, paths.owner_gid);
  plan.request.read_only = read_only;
  // QEMU's stream relay connects the instance's own clients from the guest's loopback and
  // a share's network clients from kGuestNetworkClientAddress (the host admitted both,
  // vm/admission.h); gvproxy shows loopback clients as its gateway (192.168.127.1) and
  // others as themselves (before 0.8: as the gateway too). A share's clients are exported
  // with root squashed.
  plan.request.export_client = backend->guest_network().gateway;
  if (access.shared) plan.request.shared_client = backend->network_clients();
  plan.vm.access = std::move(access);
  // Whether used or not, no passphrase variable lives on in the supervisor or QEMU.
  scrub_secret_environment();
  plan.allow_other = is_root;
  if (user) {
    pass_disks_as_fds(plan.vm.disks, plan.disk_fds);
    plan.vm.user = user;  // where root presents the mount, QEMU still runs as the user
  }
  if (drop_privileges) {
    plan.vm.user.reset();  // the supervisor is the user already
    plan.drop_privileges = true;
    plan.user_uid = user->uid;
    plan.user_gid = user->gid;
    plan.allow_other = false;  // a user's FUSE mount may not (without user_allow_other)
  }
  plan.bind_address = args.bind_address;
  plan.disk_locks = std::move(disk_locks);

  Pipe report = make_pipe();
  unstarted.started = true;
  start_supervisor(std::move(plan), std::move(backend), report, std::move(log));
  if (auto error = wait_for_ready(report.read, args.verbose)) {
    std::fprintf(stderr, "anylinuxfs: cannot mount %s: %s\n", args.disk.c_str(), error->c_str());
    return 1;
  }
  std::printf("%s mounted at %s\n", args.disk.c_str(), mount_point.c_str());
  return 0;
}

}  // namespace alfs::cli
