#include <blkid/blkid.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <type_traits>

#include "common/error.h"
#include "common/fd.h"
#include "disk/probe.h"
#include "host/user_files.h"

namespace alfs {
namespace {

// libblkid reports partition geometry in 512-byte units whatever the device's sector size.
constexpr uint64_t kBlkidSector = 512;

struct ProbeDeleter {
  void operator()(blkid_probe probe) const { blkid_free_probe(probe); }
};
using ProbePtr = std::unique_ptr<std::remove_pointer_t<blkid_probe>, ProbeDeleter>;

// An open disk or image. The fd outlives every probe made on it: blkid_probe_set_device
// borrows it without taking ownership.
struct Disk {
  std::string path;
  UniqueFd fd;
  uint64_t size = 0;
};

std::string file_kind(mode_t mode) {
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Disk open_disk(const std::string& path) {
  // O_NONBLOCK so that a FIFO given by mistake is reported instead of blocking the open;
  // it changes nothing for reads of regular files and block devices.
  Disk disk{path, open_disk_file(path, O_RDONLY | O_NONBLOCK), 0};
  struct stat st;
  if (::fstat(disk.fd.get(), &st) != 0) throw SystemError("cannot stat " + path);
  if (S_ISDIR(st.st_mode)) throw Error(path + " is a directory, not a disk or disk image");
  if (S_ISREG(st.st_mode)) {
    disk.size = static_cast<uint64_t>(st.st_size);
  } else if (S_ISBLK(st.st_mode)) {
    if (::ioctl(disk.fd.get(), BLKGETSIZE64, &disk.size) != 0) throw SystemError("cannot get the size of " + path);
  } else {
    throw Error(path + " is " + file_kind(st.st_mode) + ", not a disk or disk image");
  }
  if (disk.size == 0) throw Error(path + " is empty");
  return disk;
}

// A probe of bytes [offset, offset + size) of the disk.
ProbePtr make_probe(const Disk& disk, uint64_t offset, uint64_t size) {
  ProbePtr probe(blkid_new_probe());
  if (!probe) throw Error("cannot probe " + disk.path + ": libblkid is out of memory");
  errno = 0;
  if (blkid_probe_set_device(probe.get(), disk.fd.get(), static_cast<blkid_loff_t>(offset),
                             static_cast<blkid_loff_t>(size)) != 0) {
    throw SystemError("cannot probe " + disk.path, errno != 0 ? errno : EIO);
  }
  return probe;
}

std::string lookup(blkid_probe probe, const char* name) {
  const char* value = nullptr;
  if (blkid_probe_lookup_value(probe, name, &value, nullptr) != 0 || value == nullptr) return {};
  return value;
}

// `what` names the probed region in messages ("disk.img", "partition 2 of disk.img").
ProbeResult probe_region(const Disk& disk, uint64_t offset, uint64_t size, bool with_partition_table,
                         const std::string& what) {
  ProbePtr probe = make_probe(disk, offset, size);
  blkid_probe_enable_superblocks(probe.get(), 1);
  blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
  blkid_probe_enable_partitions(probe.get(), with_partition_table ? 1 : 0);

  ProbeResult result;
  result.size_bytes = size;
  errno = 0;
  int rc = blkid_do_safeprobe(probe.get());
  if (rc == -2) {
    result.ambivalent = true;
    return result;
  }
  if (rc < 0) throw SystemError("cannot read " + what, errno != 0 ? errno : EIO);
  if (rc == 1) return result;  // nothing recognised
  result.fstype = lookup(probe.get(), "TYPE");
  result.label = lookup(probe.get(), "LABEL");
  result.uuid = lookup(probe.get(), "UUID");
  result.part_table = lookup(probe.get(), "PTTYPE");
  return result;
}

std::string partition_type(blkid_partition partition) {
  if (const char* guid = blkid_partition_get_type_string(partition)) return guid;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", blkid_partition_get_type(partition) & 0xff);
  return hex;
}

struct PartitionTable {
  bool present = false;
  std::vector<PartitionInfo> partitions;
};

PartitionTable read_partitions(const Disk& disk) {
  ProbePtr probe = make_probe(disk, 0, disk.size);
  blkid_partlist list = blkid_probe_get_partitions(probe.get());
  PartitionTable table;
  if (list == nullptr) return table;
  table.present = true;
  int count = blkid_partlist_numof_partitions(list);
  for (int i = 0; i < count; ++i) {
    blkid_partition partition = blkid_partlist_get_partition(list, i);
    if (partition == nullptr || blkid_partition_is_extended(partition)) continue;
    PartitionInfo info;
    info.number = blkid_partition_get_partno(partition);
    info.start_bytes = static_cast<uint64_t>(blkid_partition_get_start(partition)) * kBlkidSector;
    info.size_bytes = static_cast<uint64_t>(blkid_partition_get_size(partition)) * kBlkidSector;
    info.type = partition_type(partition);
    if (const char* name = blkid_partition_get_name(partition)) info.name = name;
    // A partition running past the end of a truncated image cannot be probed; it is
    // still listed so the user sees the table as written.
    if (info.start_bytes + info.size_bytes <= disk.size && info.size_bytes > 0) {
      info.content = probe_region(disk, info.start_bytes, info.size_bytes, false,
                                  "partition " + std::to_string(info.number) + " of " + disk.path);
    } else {
      info.content.size_bytes = info.size_bytes;
    }
    table.partitions.push_back(std::move(info));
  }
  return table;
}

}  // namespace

ProbeResult probe_path(const std::string& path) {
  Disk disk = open_disk(path);
  return probe_region(disk, 0, disk.size, true, path);
}

std::vector<PartitionInfo> list_partitions(const std::string& path) {
  return read_partitions(open_disk(path)).partitions;
}

PartitionInfo probe_partition(const std::string& path, int number) {
  Disk disk = open_disk(path);
  PartitionTable table = read_partitions(disk);
  if (!table.present) throw Error(path + " has no partition table");
  std::string numbers;
  for (const PartitionInfo& p : table.partitions) {
    if (p.number == number) {
      if (p.start_bytes + p.size_bytes > disk.size) {
        throw Error("partition " + std::to_string(number) + " of " + path +
                    " runs past the end of the image (it ends at byte " + std::to_string(p.start_bytes + p.size_bytes) +
                    ", the image has " + std::to_string(disk.size) + " bytes)");
      }
      return p;
    }
    numbers += (numbers.empty() ? "s" : ", s") + std::to_string(p.number);
  }
  std::string has = table.partitions.empty() ? "its partition table is empty"
                                             : "it has " + std::to_string(table.partitions.size()) + ": " + numbers;
  throw Error(path + " has no partition " + std::to_string(number) + " (" + has + ")");
}

}  // namespace alfs
