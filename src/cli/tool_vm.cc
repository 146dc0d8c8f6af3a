#include "cli/tool_vm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "cli/say.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/log_keeper.h"
#include "config/config.h"
#include "config/paths.h"
#include "host/user_files.h"
#include "image/boot_initrd.h"
#include "image/guest_image.h"
#include "instance/record.h"
#include "vm/accel.h"
#include "vm/backends.h"

namespace alfs::cli {

namespace fs = std::filesystem;

void pass_disks_as_fds(std::vector<vm::DiskAttachment>& disks, std::vector<UniqueFd>& owned) {
  for (auto& disk : disks) {
    for (UniqueFd& fd : open_disk_fds(disk.path, disk.read_only)) {
      struct stat st {};
      disk.block_device = ::fstat(fd.get(), &st) == 0 && S_ISBLK(st.st_mode);
      disk.fds.push_back(fd.get());
      owned.push_back(std::move(fd));
    }
  }
}

std::unique_ptr<ToolVm> ToolVm::boot(const std::string& kind, std::vector<vm::DiskAttachment> disks, bool terminal) {
  Paths paths = resolve_paths();
  std::unique_ptr<vm::VmBackend> backend = vm::make_backend(load_config(default_config_files(paths.home)).backend);
  GuestImage image = ensure_guest_image(paths, false, say().progress_fd(STDERR_FILENO));
  make_dirs(paths.logs_dir, 0700);
  std::string id = kind + "-" + std::to_string(::getpid());
  std::string log = log_file(paths, id);
  mark_latest_logs(paths, id, running_runs(paths));
  std::unique_ptr<ToolVm> tool(new ToolVm);
  tool->scratch_ = InstanceRegistry(paths).dir_of(id);
  make_dirs(tool->scratch_, 0700);
  // Under sudo QEMU runs as the user, with the disks opened for them (user_files.h).
  if (acting_for()) pass_disks_as_fds(disks, tool->disk_fds_);
  // QEMU's own complaints; then its console (the guest's kernel and agent).
  tool->log_.emplace(open_run_log(paths, id), kLogCapMib);
  tool->console_.emplace(open_file(console_log_file(paths, id), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600),
                         kLogCapMib);

  vm::VmSpec spec;
  spec.name = "anylinuxfs-" + id;
  spec.kernel = image.kernel;
  spec.initrd = write_boot_initrd(image.initrd, paths.agent_binary, tool->scratch_);
  spec.rootfs = image.rootfs;
  spec.root_label = image.root_label;
  spec.disks = std::move(disks);
  spec.control_socket = tool->scratch_ + "/control.sock";
  tool->console_log_ = console_log_file(paths, id);
  spec.console_fd = tool->console_->write_fd();
  spec.terminal = terminal;
  spec.user = acting_for();
  spec.accel = vm::accel_for(*backend, image.dir + "/kvm-verdict",
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
