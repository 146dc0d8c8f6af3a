#include "common/fd.h"
#include "host/mount_point.h"
#include "nfs/mount_table.h"

namespace alfs::nfs {

namespace {

class MountinfoTable : public MountTable {
 public:
  std::vector<std::string> mount_points() const override {
    std::vector<std::string> points;
    for (MountinfoEntry& entry : parse_mountinfo(read_file("/proc/self/mountinfo")))
      points.push_back(std::move(entry.mount_point));
    return points;
  }
};

}  // namespace

std::unique_ptr<MountTable> system_mount_table() { return std::make_unique<MountinfoTable>(); }

}  // namespace alfs::nfs
