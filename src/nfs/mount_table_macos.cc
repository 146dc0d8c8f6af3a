#include <sys/mount.h>
#include <sys/param.h>

#include "common/error.h"
#include "nfs/mount_table.h"

namespace alfs::nfs {

namespace {

class FsstatTable : public MountTable {
 public:
  std::vector<std::string> mount_points() const override {
    // MNT_NOWAIT: the kernel's cached entries; MNT_WAIT would ask each filesystem, and a
    // dead NFS server would hang us.
    for (;;) {
      int count = ::getfsstat(nullptr, 0, MNT_NOWAIT);
      if (count < 0) throw SystemError("getfsstat");
      // Room for a few mounts that appear between the two calls; a full buffer may have
      // missed some, so it is read again.
      std::vector<struct statfs> stats(static_cast<size_t>(count) + 8);
      int got = ::getfsstat(stats.data(), static_cast<int>(stats.size() * sizeof(struct statfs)), MNT_NOWAIT);
      if (got < 0) throw SystemError("getfsstat");
      if (static_cast<size_t>(got) == stats.size()) continue;
      std::vector<std::string> points;
      for (int i = 0; i < got; ++i) points.emplace_back(stats[i].f_mntonname);
      return points;
    }
  }
};

}  // namespace

std::unique_ptr<MountTable> system_mount_table() { return std::make_unique<FsstatTable>(); }

}  // namespace alfs::nfs
