// `anylinuxfs [mount] DISK [MOUNT_POINT]`: checks everything that can be checked on
// the host, then starts the instance's supervisor in the background and waits for
// it to report the mount ready (or the precise reason it is not).
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cli/commands.h"
#include "cli/mount_plan.h"
#include "cli/platform.h"
#include "cli/say.h"
#include "cli/tool_vm.h"
#include "common/deadline.h"
#include "common/error.h"
#include "common/printable.h"
#include "common/process.h"
#include "common/status_line.h"
#include "config/config.h"
#include "config/paths.h"
#include "disk/disk_ident.h"
#include "disk/host_mounts.h"
#include "disk/volume.h"
#include "host/mount_point.h"
#include "host/privileges.h"
#include "host/secrets.h"
#include "host/user_files.h"
#include "image/boot_initrd.h"
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

// The mount command gives up waiting after this; the supervisor's own deadlines are shorter.
constexpr auto kReadyTimeout = 600s;

// Reads the supervisor's reports until "ready" or "error"; returns the error text, if any.
// Its progress shows on a terminal as one line, rewritten and gone once ready; with -v as
// a line per step, terminal or not.
std::optional<std::string> wait_for_ready(const UniqueFd& report, bool verbose, bool quiet) {
  bool terminal = !quiet && ::isatty(STDERR_FILENO) == 1;
  StatusLine status(STDERR_FILENO, terminal && !verbose);
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
        status.print("anylinuxfs: warning: " + printable(line.substr(std::strlen(kReportWarning))));
      if ((verbose || terminal) && line.rfind(kReportProgress, 0) == 0)
        status.update("anylinuxfs: " + printable(line.substr(std::strlen(kReportProgress))));
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

}  // namespace

MountHost this_host() {
  MountHost host;
  host.paths = resolve_paths();
  host.os = vm::read_host_facts().os;
  host.is_root = ::geteuid() == 0;
  host.user = acting_for();
  host.user_may_open_fuse = host.user && user_can_access("/dev/fuse", R_OK | W_OK, host.user->uid, host.user->gid);
  host.presentation = chosen_presentation(true);
  host.mount_point_taken = mount_point_taken;
  host.is_directory = [](const std::string& path) { return fs::is_directory(path); };
  host.environment = [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str())) return value;
    return std::nullopt;
  };
  return host;
}

int mount_command(const MountArgs& args) {
  if (args.quiet) say().set(Verbosity::kQuiet);
  if (args.verbose) say().set(Verbosity::kVerbose);
  MountHost host = this_host();
  const Paths& paths = host.paths;
  Config config = load_config(default_config_files(paths.home));
  // First: a backend that cannot run stops the mount before anything is done.
  std::unique_ptr<vm::VmBackend> backend =
      vm::make_backend(args.backend.empty() ? config.backend : parse_backend_kind(args.backend));
  MountPlan plan = plan_mount(args, config, *backend, host,
                              [](const MountArgs& a) { return resolve_volume(parse_disk_ident(a.disk), a.fstype); });
  scrub_environment(plan.captured_variables);
  for (const auto& warning : plan.warnings) std::fprintf(stderr, "anylinuxfs: warning: %s\n", warning.c_str());
  SupervisorPlan& sup = plan.supervisor;
  const std::string disk = sup.request.disk;

  for (const auto& d : plan.volume.disks) release_host_mounts(d.path, args.remount);
  InstanceRegistry registry(paths);
  for (const auto& d : plan.volume.disks) {
    auto holder = registry.find(d.path);
    sup.disk_locks.push_back(
        lock_disk(d.path, sup.record.read_only, holder ? "mounted at " + holder->mount_point : ""));
  }
  if (!plan.default_mount_point) validate_mount_point(sup.record.mount_point);

  // A pool needs OpenZFS, which the default image leaves out: this mount boots (and, the
  // first time, builds) the ZFS variant, and says so.
  if (plan.zfs_image && !config.zfs && !args.quiet)
    std::fprintf(stderr, "anylinuxfs: %s holds a ZFS pool: booting the guest image with OpenZFS\n", disk.c_str());
  GuestImage image = args.build_image
                         ? ensure_guest_image(paths, false, say().progress_fd(STDERR_FILENO), plan.zfs_image)
                         : built_guest_image(paths, plan.zfs_image);

  make_dirs(paths.logs_dir, 0700);
  make_dirs(paths.instances_dir, 0700);
  sup.record.id = std::to_string(::getpid());
  sup.record.log_file = log_file(paths, sup.record.id);
  sup.record.console_log = console_log_file(paths, sup.record.id);
  sup.record.supervisor_pid = ::getpid();  // until the supervisor records its own
  sup.record.supervisor_start = process_start_time(::getpid());
  sup.instance_dir = registry.dir_of(sup.record.id);
  make_dirs(sup.instance_dir, 0700);
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
  } unstarted{registry, sup};
  if (plan.make_mount_point_for_user && !fs::exists(sup.record.mount_point)) {
    make_mount_point_for(sup.record.mount_point, host.user->uid, host.user->gid);
    sup.record.created_mount_point = sup.mount_point_is_roots = true;
  } else if (plan.prepare_users_mount_point) {
    UsersMountPoint given = prepare_users_mount_point(sup.record.mount_point, host.user->uid, !sup.drop_privileges);
    sup.record.mount_point = given.path;
    sup.record.created_mount_point = given.created;
  }
  UniqueFd log = open_run_log(paths, sup.record.id);
  registry.save(sup.record);
  mark_latest_logs(paths, sup.record.id, running_runs(paths));

  sup.vm.name = "anylinuxfs-" + sup.record.id;
  sup.vm.kernel = image.kernel;
  sup.image_initrd = image.initrd;
  sup.agent_binary = paths.agent_binary;
  sup.vm.rootfs = image.rootfs;
  sup.vm.root_label = image.root_label;
  sup.vm.accel = vm::accel_for(*backend, image.dir + "/kvm-verdict", [&] {
    // Up to half a minute, once per image: said, so the wait is not a mystery.
    if (!args.quiet)
      std::fprintf(stderr, "anylinuxfs: checking whether the guest boots under KVM (once; the answer is kept)\n");
    sup.vm.initrd = write_boot_initrd(image.initrd, paths.agent_binary, sup.instance_dir);
    return vm::guest_boots_under_kvm(*backend, sup.vm, sup.instance_dir);
  });
  // Saved guests (instance/guest_template.h) are their user's own files: under sudo QEMU
  // runs as the user, who could change one, so root's mounts for them boot every time.
  // HVF: QEMU cannot save a guest it runs there.
  if (config.instant_mount && !host.user && sup.vm.accel != vm::Accel::kHvf)
    sup.templates_dir = paths.data_dir + "/templates";
  const Volume& volume = plan.volume;
  if (!plan.encrypted.empty()) {
    std::vector<std::string> names;
    for (size_t i : plan.encrypted) names.push_back(volume.drive_names[i]);
    auto secrets = collect_secrets(names, system_secret_sources(args.key_file, args.one_passphrase_for_all));
    sup.request.keys.reserve(plan.encrypted.size());  // an outgrown buffer would keep short secrets' bytes
    for (size_t n = 0; n < plan.encrypted.size(); ++n)
      sup.request.keys.push_back({volume.guest_devices[plan.encrypted[n]], std::move(secrets[n])});
    protocol::wipe(secrets);  // a short string's bytes stay behind when it is moved
  } else if (plan.zfs_secret) {
    // A passphrase goes along when given (-k, ALFS_PASSPHRASE): the guest says when one was needed.
    if (auto secret = given_secret(1, system_secret_sources(args.key_file, false)))
      sup.request.keys.push_back({volume.guest_devices.front(), std::move(*secret)});
  }
  // Whether used or not, no passphrase variable lives on in the supervisor or QEMU.
  scrub_secret_environment();
  if (host.user) pass_disks_as_fds(sup.vm.disks, sup.disk_fds);

  Pipe report = make_pipe();
  unstarted.started = true;
  std::string mount_point = sup.record.mount_point;
  start_supervisor(std::move(sup), std::move(backend), report, std::move(log));
  if (auto error = wait_for_ready(report.read, args.verbose, args.quiet)) {
    std::fprintf(stderr, "anylinuxfs: cannot mount %s: %s\n", disk.c_str(), error->c_str());
    return 1;
  }
  if (!args.quiet) std::printf("%s mounted at %s\n", disk.c_str(), mount_point.c_str());
  return 0;
}

}  // namespace alfs::cli
