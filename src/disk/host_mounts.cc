#include "disk/host_mounts.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/error.h"
#include "common/fd.h"
#include "common/os.h"
#include "host/mount_point.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

// A sysfs attribute's first line; empty when it is missing.
std::string read_attribute(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Adds the device numbers of the disk whose sysfs directory is `dir` and of its partitions
// (the subdirectories with a `partition` file).
void add_disk_devices(const fs::path& dir, std::set<std::string>& devices) {
  std::string own = read_attribute(dir / "dev");
  if (!own.empty()) devices.insert(own);
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (read_attribute(entry.path() / "partition").empty()) continue;
    std::string dev = read_attribute(entry.path() / "dev");
    if (!dev.empty()) devices.insert(dev);
  }
}

// Loop devices name their file by its path when they were set up; a file deleted since
// shows as "<path> (deleted)" and so matches no existing path.
void add_loop_devices_of(const std::string& image, const fs::path& sysfs, std::set<std::string>& devices) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(sysfs / "block", ec)) {
    if (!entry.path().filename().string().starts_with("loop")) continue;
    if (read_attribute(entry.path() / "loop" / "backing_file") == image) add_disk_devices(entry.path(), devices);
  }
}

bool source_matches(const std::string& source, const std::set<std::string>& devices, const struct stat& disk) {
  struct stat st;
  if (!source.starts_with('/') || ::stat(source.c_str(), &st) != 0) return false;
  if (S_ISBLK(st.st_mode)) return devices.count(device_number(st.st_rdev)) > 0;
  return S_ISREG(disk.st_mode) && st.st_dev == disk.st_dev && st.st_ino == disk.st_ino;
}

}  // namespace

std::vector<HostMount> host_mounts_of(const std::string& disk_path, std::string_view mountinfo,
                                      const std::string& sysfs) {
  struct stat disk;
  if (::stat(disk_path.c_str(), &disk) != 0) throw SystemError("cannot inspect " + disk_path);
  std::set<std::string> devices;
  if (S_ISBLK(disk.st_mode)) {
    devices.insert(device_number(disk.st_rdev));
    add_disk_devices(fs::path(sysfs) / "dev" / "block" / device_number(disk.st_rdev), devices);
  } else if (S_ISREG(disk.st_mode)) {
    add_loop_devices_of(fs::canonical(disk_path).string(), sysfs, devices);
  }

  std::vector<HostMount> mounts;
  for (const MountinfoEntry& entry : parse_mountinfo(mountinfo)) {
    if (entry.fstype.starts_with("fuse.") && entry.source.starts_with("anylinuxfs:")) continue;
    if (devices.count(entry.device) || source_matches(entry.source, devices, disk))
      mounts.push_back({entry.source, entry.mount_point});
  }
  // A mount inside another has the longer path: it goes first.
  std::stable_sort(mounts.begin(), mounts.end(),
                   [](const HostMount& a, const HostMount& b) { return a.mount_point.size() > b.mount_point.size(); });
  return mounts;
}

std::vector<HostMount> host_mounts_of(const std::string& disk_path) {
  return host_mounts_of(disk_path, read_file("/proc/self/mountinfo"), "/sys");
}

}  // namespace alfs
