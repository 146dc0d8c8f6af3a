// `anylinuxfs shell [-c cmd] [DISK_IDENT...]`: a command or an interactive shell in
// a VM with the disks attached read-write as /dev/vda, /dev/vdb, ... and no NFS.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "cli/guest_command.h"
#include "common/error.h"
#include "host/disk_ident.h"
#include "host/disk_lock.h"
#include "host/guest_image.h"
#include "host/instance.h"
#include "host/paths.h"
#include "host/volume.h"
#include "vm/accel.h"
#include "vm/boot.h"
#include "vm/qemu.h"

namespace alfs::cli {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using protocol::LineChannel;

int shell_command(const std::string& command, const std::vector<std::string>& idents) {
  Paths paths = resolve_paths();
  InstanceRegistry registry(paths.instances_dir);
  vm::VmSpec spec;
  std::vector<UniqueFd> locks;
  for (const auto& text : idents) {
    DiskIdent ident = parse_disk_ident(text);
    for (const auto& disk : ident.disks) {
      if (disk.partition > 0)
        throw Error("'" + text + "': the shell attaches whole disks; partition N of the first disk is /dev/vdaN");
      std::string path = fs::absolute(disk.path).lexically_normal().string();
      auto holder = registry.find(path);
      locks.push_back(lock_disk(path, false, holder ? "mounted at " + holder->mount_point : ""));
      spec.disks.push_back({path, false, fs::is_regular_file(path) ? image_format(path) : "raw"});
    }
  }
  GuestImage image = ensure_guest_image(paths, false, STDERR_FILENO);
  make_user_dirs(paths, paths.logs_dir);
  std::string id = "shell-" + std::to_string(::getpid());
  std::string log = log_file(paths, id);
  mark_latest_logs(paths, id);
  std::string scratch = registry.dir_of(id);
  make_user_dirs(paths, scratch);
  struct RemoveScratch {
    std::string dir;
    ~RemoveScratch() { std::error_code ec; fs::remove_all(dir, ec); }
  } remove_scratch{scratch};
  UniqueFd log_fd = open_file(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  spec.name = "anylinuxfs-" + id;
  spec.kernel = image.kernel;
  spec.initrd = image.initrd;
  spec.rootfs = image.rootfs;
  spec.root_label = image.root_label;
  spec.control_socket = scratch + "/control.sock";
  spec.console_log = console_log_file(paths, id);
  spec.terminal = command.empty();
  if (spec.terminal && !::isatty(STDIN_FILENO)) throw Error("an interactive shell needs a terminal; use -c <cmd>");
  vm::QemuBackend backend;
  spec.accel = vm::choose_accel(image.dir + "/kvm-verdict",
                                [&] { return vm::guest_boots_under_kvm(backend, spec, scratch); });

  vm::BootedVm vm = vm::BootedVm::boot(backend, spec, log_fd.get(), log, vm::BootTimeouts{});
  const char* term = std::getenv("TERM");
  vm.channel().send({{"type", "shell"}, {"command", command}, {"term", term ? term : ""}});
  int code;
  try {
    code = relay_until_exit(vm.channel(), "the VM ended before the command finished (see " + spec.console_log + ")");
  } catch (const Error&) {
    vm.process().wait_for(5s);
    throw;
  }
  if (!vm.process().wait_for(30s)) vm.process().terminate(5s);
  return code;
}

}  // namespace alfs::cli
