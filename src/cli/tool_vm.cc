#include "cli/tool_vm.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/log_keeper.h"
#include "host/config.h"
#include "host/guest_image.h"
#include "host/instance.h"
#include "host/paths.h"
#include "host/privileges.h"
#include "vm/accel.h"
#include "vm/backends.h"
#include "vm/krun.h"

namespace alfs::cli {

namespace fs = std::filesystem;

std::unique_ptr<ToolVm> ToolVm::boot(const std::string& kind, std::vector<vm::DiskAttachment> disks,
                                     bool terminal) {
  Paths paths = resolve_paths();
  std::unique_ptr<vm::VmBackend> backend = vm::make_backend(load_config(default_config_files(paths.home)).backend);
  GuestImage image = ensure_guest_image(paths, false, STDERR_FILENO);
  make_user_dirs(paths, paths.logs_dir);
  std::string id = kind + "-" + std::to_string(::getpid());
  std::string log = log_file(paths, id);
  mark_latest_logs(paths, id);
  std::unique_ptr<ToolVm> tool(new ToolVm);
  tool->scratch_ = InstanceRegistry(paths.instances_dir).dir_of(id);
  make_user_dirs(paths, tool->scratch_);
  // QEMU's own complaints; then its console (the guest's kernel and agent).
  tool->log_.emplace(open_file(log, O_WRONLY | O_CREAT | O_TRUNC, 0600), kLogCapMib);
  tool->console_.emplace(open_file(console_log_file(paths, id), O_WRONLY | O_CREAT | O_TRUNC, 0600), kLogCapMib);

  vm::VmSpec spec;
  spec.name = "anylinuxfs-" + id;
  spec.kernel = image.kernel;
  spec.initrd = image.initrd;
  spec.rootfs = image.rootfs;
  spec.root_label = image.root_label;
  spec.disks = std::move(disks);
  if (::geteuid() == 0 && paths.owner_uid != 0) {
    // Under sudo, root only opens the disks: the VM runs as the user who ran sudo.
    for (auto& d : spec.disks) {
      for (int mode : d.read_only ? std::vector<int>{O_RDONLY} : std::vector<int>{O_RDONLY, O_RDWR}) {
        tool->disk_fds_.push_back(open_file(d.path, mode));
        d.fds.push_back(tool->disk_fds_.back().get());
      }
    }
    spec.run_as = SpawnOptions::RunAs{paths.owner_uid, paths.owner_gid, user_groups(paths.owner_uid, paths.owner_gid)};
  }
  spec.control_socket = tool->scratch_ + "/control.sock";
  tool->console_log_ = console_log_file(paths, id);
  spec.console_fd = tool->console_->write_fd();
  spec.terminal = terminal;
  spec.accel = backend->name() == "krun"
                   ? vm::KrunBackend::accel()
                   : vm::choose_accel(image.dir + "/kvm-verdict",
                                      [&] { return vm::guest_boots_under_kvm(*backend, spec, tool->scratch_); });
  tool->vm_.emplace(vm::BootedVm::boot(*backend, spec, tool->log_->write_fd(), log, vm::BootTimeouts{}));
  return tool;
}

ToolVm::~ToolVm() {
  vm_.reset();  // kills and reaps QEMU if it still runs
  std::error_code ec;
  if (!scratch_.empty()) fs::remove_all(scratch_, ec);
}

}  // namespace alfs::cli
