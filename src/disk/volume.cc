#include "disk/volume.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "host/mount_point.h"
#include "host/user_files.h"

namespace alfs {

namespace fs = std::filesystem;

namespace {

std::string human_size(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// "disk.img holds a gpt partition table, not a filesystem: mount one of its
// partitions: disk.img@s1 (ext4 "root", 100.0 MiB), disk.img@s2 (btrfs, 50.0 MiB)"
std::string partition_table_error(const std::string& given, const ProbeResult& probe,
                                  const std::vector<PartitionInfo>& parts) {
  std::string msg = given + " holds a " + probe.part_table + " partition table, not a filesystem: ";
  if (parts.empty()) return msg + "and the table has no partitions";
  msg += "mount one of its partitions:";
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    msg += (i ? ", " : " ") + given + "@s" + std::to_string(p.number) + " (";
    msg += p.content.fstype.empty() ? "unknown" : p.content.fstype;
    if (!p.content.label.empty()) msg += " \"" + p.content.label + "\"";
    msg += ", " + human_size(p.size_bytes) + ")";
  }
  return msg;
}

}  // namespace

std::string guest_device_name(size_t index, int partition) {
  std::string name = "/dev/vd";
  if (index >= 26) name += static_cast<char>('a' + index / 26 - 1);
  name += static_cast<char>('a' + index % 26);
  if (partition > 0) name += std::to_string(partition);
  return name;
}

std::string image_format(const std::string& path) {
  UniqueFd fd = open_disk_file(path, O_RDONLY);
  unsigned char magic[4] = {};
  ssize_t n = ::pread(fd.get(), magic, sizeof magic, 0);
  if (n < 0) throw SystemError("cannot read " + path);
  bool qcow2 = n == 4 && magic[0] == 'Q' && magic[1] == 'F' && magic[2] == 'I' && magic[3] == 0xfb;
  return qcow2 ? "qcow2" : "raw";
}

bool is_encrypted_type(const std::string& type) { return type == "crypto_LUKS" || type == "BitLocker"; }

bool is_container_type(const std::string& type) {
  return is_encrypted_type(type) || type == "LVM2_member" || type == "linux_raid_member" || type == "zfs_member";
}

Volume resolve_volume(const DiskIdent& ident, const std::string& fstype_override) {
  Volume v;
  v.volume_group = ident.vg;
  v.logical_volume = ident.lv;
  v.raid = ident.kind == DiskIdent::Kind::kRaid;
  for (size_t i = 0; i < ident.disks.size(); ++i) {
    const DiskRef& ref = ident.disks[i];
    std::string given = to_string(DiskRef{ref.path, 0});
    std::string path = fs::absolute(ref.path).lexically_normal().string();
    ProbeResult probe;
    int partition = ref.partition;
    if (fs::is_directory(path)) throw Error(given + " is a directory, not a disk or disk image");
    // qcow2 content is invisible to libblkid: the guest probes it.
    std::string format = fs::is_regular_file(path) ? image_format(path) : "raw";
    if (format == "raw") {
      probe = partition > 0 ? probe_partition(path, partition).content : probe_path(path);
      if (partition == 0 && probe.fstype.empty() && !probe.part_table.empty() && fstype_override.empty()) {
        // A disk given whole to ZFS was partitioned by ZFS itself (the data, then a small
        // reserved partition): the disk stands for its pool member.
        auto parts = list_partitions(path);
        auto member = std::find_if(parts.begin(), parts.end(),
                                   [](const PartitionInfo& p) { return p.content.fstype == "zfs_member"; });
        if (member == parts.end()) throw Error(partition_table_error(given, probe, parts));
        partition = member->number;
        probe = member->content;
      }
      if (probe.fstype == "LVM2_member" && v.volume_group.empty())
        throw Error(to_string(ref) +
                    " is an LVM physical volume: mount a logical volume of it as lvm:<vg>:" + to_string(ref) + ":<lv>");
      if (probe.fstype == "linux_raid_member" && !v.raid)
        throw Error(to_string(ref) + " is a RAID member: mount the array as raid:" + to_string(ref) + "[:<disk>...]");
    }
    v.disks.push_back({path, format});
    v.guest_devices.push_back(guest_device_name(i, partition));
    v.drive_names.push_back(to_string(ref));
    v.probes.push_back(probe);
  }
  const ProbeResult& first = v.probes.front();
  if (v.disks.front().format == "raw" && first.fstype.empty() && fstype_override.empty())
    throw Error(v.drive_names.front() +
                ": no filesystem found (the disk is empty, or its content is unknown); "
                "pass -t <type> to try a driver anyway");
  v.fstype = !fstype_override.empty() ? fstype_override : is_container_type(first.fstype) ? "" : first.fstype;
  if (!v.logical_volume.empty()) {
    v.name = v.logical_volume;
  } else if (v.raid) {
    // An md member's label is "<host>:<array name>".
    v.name = first.label.empty() ? "raid" : first.label.substr(first.label.find(':') + 1);
  } else {
    // A pool is known by its name (the label of its members).
    bool named = !is_container_type(first.fstype) || first.fstype == "zfs_member";
    v.name = volume_name(named ? first.label : "", v.disks.front().path);
  }
  return v;
}

}  // namespace alfs
