#include "disk/disk_list.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/error.h"
#include "common/fd.h"
#include "common/os.h"
#include "disk/disk_ident.h"
#include "disk/probe.h"
#include "disk/volume.h"
#include "host/user_files.h"

namespace alfs {

namespace fs = std::filesystem;

namespace {

// sysfs counts sizes in 512-byte sectors whatever the device's sector size.
constexpr uint64_t kSysfsSector = 512;

// A sysfs attribute's first line; empty when it is missing.
std::string read_attribute(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

uint64_t read_sectors(const fs::path& path) {
  std::string text = read_attribute(path);
  return text.empty() ? 0 : std::stoull(text) * kSysfsSector;
}

struct SysfsPartition {
  int number = 0;
  std::string name;  // sdb1, nvme0n1p1, loop0p1
  uint64_t size_bytes = 0;
};

// The partitions the kernel made device nodes for: subdirectories with a `partition` file.
std::vector<SysfsPartition> sysfs_partitions(const fs::path& disk_dir) {
  std::vector<SysfsPartition> parts;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(disk_dir, ec)) {
    std::string number = read_attribute(entry.path() / "partition");
    if (number.empty()) continue;
    parts.push_back({std::stoi(number), entry.path().filename().string(), read_sectors(entry.path() / "size")});
  }
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return parts;
}

std::string loop_backing_file(const fs::path& disk_dir) { return read_attribute(disk_dir / "loop" / "backing_file"); }

// A loop device stands for its image file; a disk is external when the kernel says it is
// removable or it hangs off a USB bus (USB hard disks do not claim to be removable).
DiskKind kind_of(const HostPaths& host, const fs::path& disk_dir) {
  if (!loop_backing_file(disk_dir).empty()) return DiskKind::kImage;
  if (read_attribute(disk_dir / "removable") == "1") return DiskKind::kExternal;
  std::error_code ec;
  fs::path device = fs::canonical(disk_dir, ec).lexically_relative(fs::canonical(host.sysfs, ec));
  for (const fs::path& part : device) {
    if (part.string().starts_with("usb")) return DiskKind::kExternal;
  }
  return DiskKind::kInternal;
}

ListedVolume whole_disk_volume(const ProbeResult& probe, const std::string& identifier) {
  return {0, probe.fstype, probe.label, probe.size_bytes, identifier};
}

// qcow2 header: the virtual disk's size is a big-endian 64-bit number at byte 24.
uint64_t qcow2_virtual_size(const std::string& path) {
  UniqueFd fd = open_disk_file(path, O_RDONLY);
  unsigned char bytes[8] = {};
  if (::pread(fd.get(), bytes, sizeof bytes, 24) != static_cast<ssize_t>(sizeof bytes))
    throw Error("cannot read the qcow2 header of " + path);
  uint64_t size = 0;
  for (unsigned char b : bytes) size = size << 8 | b;
  return size;
}

// A disk known by its content alone: an image file, or a block device without a sysfs
// disk of its own (a partition named as a disk). Rows are named after `path`.
ListedDisk describe_by_probe(const std::string& path, DiskKind kind) {
  ListedDisk disk;
  disk.path = path;
  disk.kind = kind;
  try {
    ProbeResult whole = probe_path(path);
    disk.size_bytes = whole.size_bytes;
    // As in mount: only image files can be qcow2, and libblkid cannot see inside them.
    if (fs::is_regular_file(path) && image_format(path) == "qcow2") {
      disk.format = "qcow2";
      disk.size_bytes = qcow2_virtual_size(path);
      return disk;
    }
    disk.scheme = whole.part_table;
    if (disk.scheme.empty()) {
      disk.volumes.push_back(whole_disk_volume(whole, path));
      return disk;
    }
    for (const PartitionInfo& p : list_partitions(path))
      disk.volumes.push_back(
          {p.number, p.content.fstype, p.content.label, p.size_bytes, to_string(DiskRef{path, p.number})});
  } catch (const Error& e) {
    disk.error = e.what();
  }
  return disk;
}

// A whole disk of sysfs: its partitions are named /dev/<kernel name> where the kernel made
// a node for them, <disk>@sN otherwise (a loop device without partition scanning).
ListedDisk describe_block_disk(const HostPaths& host, const fs::path& disk_dir, const std::string& header) {
  ListedDisk disk;
  disk.path = header;
  disk.kind = kind_of(host, disk_dir);
  disk.backing_file = loop_backing_file(disk_dir);
  disk.size_bytes = read_sectors(disk_dir / "size");
  std::vector<SysfsPartition> known = sysfs_partitions(disk_dir);
  std::string device = host.dev + "/" + disk_dir.filename().string();
  try {
    ProbeResult whole = probe_path(device);
    disk.size_bytes = whole.size_bytes;
    disk.scheme = whole.part_table;
    if (disk.scheme.empty()) {
      disk.volumes.push_back(whole_disk_volume(whole, header));
      return disk;
    }
    for (const PartitionInfo& p : list_partitions(device)) {
      auto node = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.number == p.number; });
      std::string identifier = node != known.end() ? host.dev + "/" + node->name : to_string(DiskRef{header, p.number});
      disk.volumes.push_back({p.number, p.content.fstype, p.content.label, p.size_bytes, identifier});
    }
  } catch (const Error& e) {
    // Unreadable (typically: not root): the structure is still worth showing.
    disk.error = e.what();
    disk.volumes.clear();
    for (const SysfsPartition& p : known)
      disk.volumes.push_back({p.number, "", "", p.size_bytes, host.dev + "/" + p.name});
    if (known.empty()) disk.volumes.push_back({0, "", "", disk.size_bytes, header});
  }
  return disk;
}

bool is_listed_disk_name(const std::string& name) {
  for (const char* prefix : {"ram", "zram", "dm-", "md", "sr"}) {
    if (name.starts_with(prefix)) return false;
  }
  return true;
}

ListedDisk describe_named(const std::string& path, const HostPaths& host) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return describe_by_probe(path, DiskKind::kImage);
  std::string dev_number = device_number(st.st_rdev);
  std::error_code ec;
  fs::path dir = fs::canonical(fs::path(host.sysfs) / "dev" / "block" / dev_number, ec);
  if (ec) return describe_by_probe(path, DiskKind::kInternal);
  if (!fs::exists(dir / "partition")) return describe_block_disk(host, dir, path);
  return describe_by_probe(path, kind_of(host, dir.parent_path()));
}

}  // namespace

std::vector<ListedDisk> list_host_disks(const HostPaths& host) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(fs::path(host.sysfs) / "block", ec))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());

  std::vector<ListedDisk> disks;
  for (const std::string& name : names) {
    fs::path dir = fs::path(host.sysfs) / "block" / name;
    if (!is_listed_disk_name(name) || read_sectors(dir / "size") == 0) continue;
    if (name.starts_with("loop") && loop_backing_file(dir).empty()) continue;
    disks.push_back(describe_block_disk(host, dir, host.dev + "/" + name));
  }
  return disks;
}

std::vector<ListedDisk> list_named_disks(const std::vector<std::string>& paths, const HostPaths& host) {
  std::vector<ListedDisk> disks;
  for (const std::string& path : paths) disks.push_back(describe_named(path, host));
  return disks;
}

bool is_shown(const std::string& type, ListFilter filter) {
  static const std::set<std::string> kLinux = {
      "ext2",      "ext3",     "ext4",        "btrfs",       "xfs",
      "f2fs",      "jfs",      "reiserfs",    "nilfs2",      "bcachefs",
      "erofs",     "squashfs", "crypto_LUKS", "LVM2_member", "linux_raid_member",
      "zfs_member"};
  static const std::set<std::string> kMicrosoft = {"ntfs", "exfat", "vfat", "BitLocker"};
  switch (filter) {
    case ListFilter::kLinux:
      return kLinux.count(type) > 0;
    case ListFilter::kMicrosoft:
      return kMicrosoft.count(type) > 0;
    case ListFilter::kDefault:
      break;
  }
  return kMicrosoft.count(type) == 0 && type != "swap";
}

std::vector<ListedDisk> filter_disks(std::vector<ListedDisk> disks, ListFilter filter, bool keep_empty) {
  std::vector<ListedDisk> kept;
  for (ListedDisk& disk : disks) {
    std::erase_if(disk.volumes, [&](const ListedVolume& v) { return !is_shown(v.type, filter); });
    if (!disk.volumes.empty() || !disk.error.empty() || keep_empty) kept.push_back(std::move(disk));
  }
  return kept;
}

}  // namespace alfs
