// The initrd a guest boots: the image's own (stage 1: busybox and the modules that reach
// the root disk) followed by a cpio archive holding this CLI's agent. The kernel unpacks
// concatenated archives in turn, so the agent travels beside the image instead of inside
// it, and an image outlives the CLI that built it: any later build brings its own agent.
#pragma once

#include <string>
#include <string_view>

namespace alfs {

// Where stage 1 finds the agent in the initramfs (scripts/build-guest-image.sh).
inline constexpr std::string_view kInitrdAgentName = "anylinuxfs-agent";

// A newc ("070701") cpio archive, as the kernel unpacks an initramfs: a directory must
// come before what it holds (the bootstrap VM's initramfs, image/bootstrap_vm.h).
class NewcArchive {
 public:
  void add_directory(std::string_view name);
  void add_file(std::string_view name, std::string_view content, unsigned mode);
  // The archive so far, ended with the trailer.
  std::string finish();

 private:
  std::string out_;
  unsigned ino_ = 1;
};

// One newc cpio archive holding one regular file `name` (mode 0755 & `mode`),
// ending with the trailer, padded to 4 bytes as the kernel's unpacker expects.
std::string newc_archive(std::string_view name, std::string_view content, unsigned mode);

// Writes `dir`/initrd.img: the image's initrd, then the agent's archive. A file already
// there is not followed or reused. Returns its path. Throws Error naming what failed.
std::string write_boot_initrd(const std::string& image_initrd, const std::string& agent_binary, const std::string& dir);

}  // namespace alfs
