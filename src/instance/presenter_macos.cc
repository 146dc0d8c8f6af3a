#include <unistd.h>

#include <cstdlib>

#include "host/user_files.h"
#include "instance/presenter.h"
#include "nfs/macos_nfs_mount.h"

namespace alfs {

// macOS presents with mount_nfs alone (choose_presentation never asks for a kernel NFS
// client there): the FUSE bridge and the Linux NFS client are not in its build.
PresentationKind chosen_presentation(bool root) {
  const char* forced = std::getenv("ALFS_PRESENTATION");
  return choose_presentation(vm::read_host_facts().os, forced ? forced : "", root, [] { return false; });
}

std::unique_ptr<nfs::Presentation> present_on_host(const nfs::NfsTarget& target, const PresentationOptions& options,
                                                   const LogFn& log) {
  AsRoot root;
  chosen_presentation(::geteuid() == 0);  // refuses an ALFS_PRESENTATION macOS has not
  log("presenting through mount_nfs");
  return nfs::MacosNfsMount::mount(target, options.mount_point, options.read_only);
}

}  // namespace alfs
