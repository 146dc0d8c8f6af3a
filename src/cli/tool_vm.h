// A short-lived VM for a tool that is not a mount (`shell`, `list`): the guest image,
// its own log and console (`anylinuxfs log`/`dmesg` show the last one), a scratch
// directory for the control socket, removed with it. No network.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/log_keeper.h"
#include "vm/boot.h"
#include "vm/vm_backend.h"

namespace alfs::cli {

// Opens each disk as open_disk_fds does (host/user_files.h) and gives the VM the fds
// instead of the path; `owned` keeps them open while it runs.
void pass_disks_as_fds(std::vector<vm::DiskAttachment>& disks, std::vector<UniqueFd>& owned);

class ToolVm {
 public:
  // Boots up to the agent's hello; `kind` names the logs ("shell-<pid>"). `terminal`:
  // the host terminal on the guest's /dev/hvc0. Throws Error.
  static std::unique_ptr<ToolVm> boot(const std::string& kind, std::vector<vm::DiskAttachment> disks,
                                      bool terminal = false);
  ~ToolVm();
  ToolVm(const ToolVm&) = delete;
  ToolVm& operator=(const ToolVm&) = delete;

  vm::BootedVm& vm() { return *vm_; }
  const std::string& console_log() const { return console_log_; }

 private:
  ToolVm() = default;
  std::string scratch_;
  std::string console_log_;
  std::optional<LogKeeper> log_, console_;  // destroyed after the VM, which writes them
  std::vector<UniqueFd> disk_fds_;          // the VM's (vm::DiskAttachment::fds), open while it runs
  std::optional<vm::BootedVm> vm_;
};

}  // namespace alfs::cli
