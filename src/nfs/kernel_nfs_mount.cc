#include "nfs/kernel_nfs_mount.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sstream>

#include "common/error.h"
#include "common/process.h"

namespace alfs::nfs {

using namespace std::chrono_literals;

bool kernel_has_nfs_client(std::string_view proc_filesystems) {
  std::istringstream lines{std::string(proc_filesystems)};
  std::string line;
  while (std::getline(lines, line)) {
    // "nodev\tnfs" or "\tnfs"
    auto tab = line.rfind('\t');
    if ((tab == std::string::npos ? line : line.substr(tab + 1)) == "nfs") return true;
  }
  return false;
}

std::vector<std::string> kernel_nfs_mount_command(const NfsTarget& t, const std::string& mount_point, bool read_only) {
  int timeo_deciseconds = std::max(1, t.timeout_ms / 100);
  // nosuid,nodev: the disk's setuid files and device nodes are the guest's, never the host's.
  std::string options = "vers=3,proto=tcp,mountproto=tcp,port=" + std::to_string(t.nfs_port) +
                        ",mountport=" + std::to_string(t.mount_port) +
                        ",nosuid,nodev,nolock,soft,timeo=" + std::to_string(timeo_deciseconds) + ",retrans=2";
  if (read_only) options += ",ro";
  // Last, so they win; checked (nfs/nfs_options.h): none of them undoes the above's trust.
  if (!t.client_options.empty()) options += "," + t.client_options;
  return {"mount", "-t", "nfs", "-o", options, t.host + ":" + t.export_path, mount_point};
}

KernelNfsMount::KernelNfsMount(std::string mount_point, std::function<bool()> still_mounted)
    : mount_point_(std::move(mount_point)),
      still_mounted_(std::move(still_mounted)),
      exit_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!exit_event_) throw SystemError("eventfd");
}

std::unique_ptr<KernelNfsMount> KernelNfsMount::mount(const NfsTarget& target, const std::string& mount_point,
                                                      bool read_only, std::function<bool()> still_mounted) {
  RunResult r = run_command(kernel_nfs_mount_command(target, mount_point, read_only), 60s);
  if (!r.ok()) throw Error("cannot mount the guest's export with the kernel NFS client: " + r.output);
  return std::unique_ptr<KernelNfsMount>(new KernelNfsMount(mount_point, std::move(still_mounted)));
}

int KernelNfsMount::run() {
  for (;;) {
    pollfd pfd{exit_event_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, 500) > 0) {
      detach();
      return 0;
    }
    if (!still_mounted_()) return 0;
  }
}

void KernelNfsMount::release_now() {
  detach();
  request_exit();
}

void KernelNfsMount::detach() {
  if (!detached_.exchange(true)) run_command({"umount", "-l", mount_point_}, 30s);
}

void KernelNfsMount::request_exit() {
  uint64_t one = 1;
  (void)!::write(exit_event_.get(), &one, sizeof one);
}

}  // namespace alfs::nfs
