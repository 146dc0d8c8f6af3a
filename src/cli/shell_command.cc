// `anylinuxfs shell [-c cmd] [DISK_IDENT...]`: a command or an interactive shell in
// a VM with the disks attached read-write as /dev/vda, /dev/vdb, ... and no NFS.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "cli/guest_command.h"
#include "cli/say.h"
#include "cli/tool_vm.h"
#include "common/error.h"
#include "config/paths.h"
#include "disk/disk_ident.h"
#include "disk/volume.h"
#include "instance/disk_lock.h"
#include "instance/record.h"

namespace alfs::cli {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

int shell_command(const std::string& command, const std::vector<std::string>& idents) {
  Paths paths = resolve_paths();
  InstanceRegistry registry(paths);
  std::vector<vm::DiskAttachment> disks;
  std::vector<UniqueFd> locks;
  for (const auto& text : idents) {
    DiskIdent ident = parse_disk_ident(text);
    for (const auto& disk : ident.disks) {
      if (disk.partition > 0)
        throw Error("'" + text + "': the shell attaches whole disks; partition N of the first disk is /dev/vdaN");
      std::string path = fs::absolute(disk.path).lexically_normal().string();
      auto holder = registry.find(path);
      locks.push_back(lock_disk(path, false, holder ? "mounted at " + holder->mount_point : ""));
      disks.push_back({path, false, fs::is_regular_file(path) ? image_format(path) : "raw"});
    }
  }
  bool terminal = command.empty();
  if (terminal && !::isatty(STDIN_FILENO)) throw Error("an interactive shell needs a terminal; use -c <cmd>");
  say().step("starting a VM" +
             (idents.empty() ? std::string() : " with " + std::to_string(idents.size()) + " disk(s) as /dev/vda...") +
             (command.empty() ? " for a shell" : " for: " + command));
  auto tool = ToolVm::boot("shell", std::move(disks), terminal);
  vm::BootedVm& vm = tool->vm();
  const char* term = std::getenv("TERM");
  vm.channel().send({{"type", "shell"}, {"command", command}, {"term", term ? term : ""}});
  int code;
  try {
    code = relay_until_exit(vm.channel(), "the VM ended before the command finished (see " + tool->console_log() + ")");
  } catch (const Error&) {
    vm.process().wait_for(5s);
    throw;
  }
  if (!vm.process().wait_for(30s)) vm.process().terminate(5s);
  return code;
}

}  // namespace alfs::cli
