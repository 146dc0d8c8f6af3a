#include "common/error.h"
#include "disk/probe.h"

namespace alfs {

namespace {

// The macOS build has no libblkid: diskutil names what macOS knows, and a probe of what
// it does not (ext4, btrfs, LUKS...) is to run in the guest, which is not done yet.
[[noreturn]] void unavailable(const std::string& path) {
  throw Error("cannot probe " + path + ": the macOS build has no libblkid, and probing in the guest is not done yet");
}

}  // namespace

ProbeResult probe_path(const std::string& path) { unavailable(path); }

std::vector<PartitionInfo> list_partitions(const std::string& path) { unavailable(path); }

PartitionInfo probe_partition(const std::string& path, int) { unavailable(path); }

}  // namespace alfs
