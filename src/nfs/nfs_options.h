// The NFS options a user may add: `mount -n` (the host's NFS client: the kernel's, or
// macOS's mount_nfs) and `--nfs-export-opts` (the guest's export). Both are checked
// against what they may do, never against what they may not: an option that would
// widen who reaches the disk or what the host honours from it (suid, dev, no_root_squash,
// insecure, another port or server...) is not on either list.
#pragma once

#include <string>
#include <string_view>

namespace alfs::nfs {

// Returns `options` when every comma-separated option is one the client list allows;
// throws Error naming the first that is not.
std::string checked_client_options(std::string_view options);

// The same for the export's options.
std::string checked_export_options(std::string_view options);

}  // namespace alfs::nfs
