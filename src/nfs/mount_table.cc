#include "nfs/mount_table.h"

#include <algorithm>
#include <thread>

namespace alfs::nfs {

bool wait_until_unmounted(const MountTable& table, const std::string& mount_point, std::chrono::milliseconds interval,
                          const std::atomic<bool>& stop) {
  // Sleeping in short slices lets `stop` end a long interval early.
  constexpr std::chrono::milliseconds kSlice{50};
  for (;;) {
    if (stop) return false;
    std::vector<std::string> points = table.mount_points();
    if (std::find(points.begin(), points.end(), mount_point) == points.end()) return true;
    for (auto slept = std::chrono::milliseconds(0); slept < interval && !stop; slept += kSlice)
      std::this_thread::sleep_for(std::min(kSlice, interval - slept));
  }
}

}  // namespace alfs::nfs
