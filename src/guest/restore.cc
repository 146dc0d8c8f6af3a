#include "guest/restore.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <thread>

#include "common/deadline.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/os.h"

namespace alfs::guest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void renew_clock_and_entropy(const protocol::RestoreRequest& request) {
  timespec now{static_cast<time_t>(request.time_ns / 1000000000), static_cast<long>(request.time_ns % 1000000000)};
  if (::clock_settime(CLOCK_REALTIME, &now) != 0) throw SystemError("setting the clock");
  // struct rand_pool_info ends in a flexible array: the bytes follow the header.
  std::vector<char> buffer(sizeof(rand_pool_info) + request.entropy.size());
  auto* info = reinterpret_cast<rand_pool_info*>(buffer.data());
  info->entropy_count = static_cast<int>(request.entropy.size() * 8);
  info->buf_size = static_cast<int>(request.entropy.size());
  std::copy(request.entropy.begin(), request.entropy.end(), buffer.data() + sizeof(rand_pool_info));
  UniqueFd random(::open("/dev/urandom", O_WRONLY | O_CLOEXEC));
  int rc = random ? ::ioctl(random.get(), RNDADDENTROPY, info) : -1;
  secure_zero(buffer.data(), buffer.size());
  if (rc != 0) throw SystemError("adding the host's random bytes to the guest's");
  // Until its next scheduled reseed the kernel's generator would go on from the
  // template's key, the same in every restore: it takes the new bytes now.
  if (::ioctl(random.get(), RNDRESEEDCRNG) != 0) throw SystemError("reseeding the guest's random generator");
}

namespace {

// The block device name of the SCSI disk at `lun` ("sdb"), or empty while there is none.
std::string scsi_disk(const std::string& sysfs, int lun) {
  std::error_code ec;
  std::string suffix = ":0:0:" + std::to_string(lun);
  for (const auto& entry : fs::directory_iterator(sysfs + "/bus/scsi/devices", ec)) {
    std::string name = entry.path().filename();
    if (!name.ends_with(suffix)) continue;
    for (const auto& block : fs::directory_iterator(entry.path() / "block", ec)) return block.path().filename();
  }
  return "";
}

}  // namespace

void link_hot_plugged_disks(int count, const std::string& sysfs, const std::string& dev,
                            std::chrono::milliseconds timeout) {
  if (count > 26) throw Error("at most 26 disks can be attached, not " + std::to_string(count));
  Deadline deadline(timeout);
  for (int lun = 0; lun < count; ++lun) {
    std::string name;
    while ((name = scsi_disk(sysfs, lun)).empty()) {
      if (deadline.expired())
        throw Error("disk " + std::to_string(lun + 1) + " (SCSI LUN " + std::to_string(lun) +
                    ") did not appear within " + std::to_string(timeout.count()) + " ms");
      std::this_thread::sleep_for(5ms);
    }
    // The kernel scans the partition table once the disk is added, racing with us: a
    // rescan of our own has them all once it returns (nothing holds them yet).
    UniqueFd disk;
    while (!(disk = UniqueFd(::open((dev + "/" + name).c_str(), O_RDONLY | O_CLOEXEC)))) {
      if (deadline.expired()) throw SystemError("opening " + dev + "/" + name);
      std::this_thread::sleep_for(5ms);
    }
    ::ioctl(disk.get(), BLKRRPART);
    std::string link = dev + "/vd" + static_cast<char>('a' + lun);
    struct stat st {};
    if (::lstat(link.c_str(), &st) == 0 && !S_ISLNK(st.st_mode) &&
        ::rename(link.c_str(), (dev + "/alfs-root").c_str()) != 0)
      throw SystemError("renaming " + link);
    auto make_link = [](const std::string& target, const std::string& path) {
      ::unlink(path.c_str());
      if (::symlink(target.c_str(), path.c_str()) != 0) throw SystemError("linking " + path + " to " + target);
    };
    make_link(name, link);
    std::error_code ec;
    for (const auto& part : fs::directory_iterator(sysfs + "/block/" + name, ec)) {
      std::string part_name = part.path().filename();
      if (part_name.size() <= name.size() || !part_name.starts_with(name) ||
          part_name.find_first_not_of("0123456789", name.size()) != std::string::npos)
        continue;
      make_link(part_name, link + part_name.substr(name.size()));
    }
  }
}

std::string root_name_clash(const std::string& mounts) {
  std::istringstream in(mounts);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string source, target;
    if (fields >> source >> target && target == "/" && source.starts_with("/dev/vd"))
      return "the guest image mounts its root as " + source +
             ", the name a restored guest gives the first disk: instant mount needs an image built by this "
             "anylinuxfs (`anylinuxfs image build`)";
  }
  return "";
}

}  // namespace alfs::guest
