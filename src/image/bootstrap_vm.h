// The guest image built inside a VM of our own, for a host without mmdebstrap (another
// Linux distribution, macOS) and for a user who may not use user namespaces. The host
// only downloads: Debian's package index, then the bootstrap set (mmdebstrap and what the
// build script runs, with Debian's Essential packages: image/debian_packages resolves
// it), each file checked against the checksums above it. It boots Debian's kernel with a
// busybox initramfs holding those packages (scripts/bootstrap-vm-init.sh is its /init),
// which unpacks them into a tmpfs and runs the same build script there, as root of the
// VM, with a user-mode network for mmdebstrap's downloads. The VM writes the image as a
// tar onto a disk the host reads back. docs/design.md, "Building without mmdebstrap".
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace alfs {

// The "SHA256:" section of a Release or InRelease file: each index's path
// ("main/binary-amd64/Packages.gz") with its digest and size.
struct ReleaseEntry {
  std::string sha256;
  uint64_t size = 0;
};
std::map<std::string, ReleaseEntry, std::less<>> release_checksums(std::string_view release);

// The member of an ar archive (a .deb) whose name starts with `prefix` ("data.tar"): its
// name and contents. Throws Error when the archive is malformed or has no such member.
struct ArMember {
  std::string name;
  std::string_view content;  // a view into the archive
};
ArMember ar_member(std::string_view archive, std::string_view prefix);

// The modules a module file needs, by name: the "depends=" of its .modinfo (a Debian
// kernel package ships no modules.dep: depmod makes it when the package is installed).
std::vector<std::string> module_depends(std::string_view module_file);

// The modules (names, '_' for '-') to load for `wanted`, each after those it needs, given
// what each needs; a name the map lacks is built into the kernel and skipped.
std::vector<std::string> module_load_order(const std::map<std::string, std::vector<std::string>>& depends,
                                           const std::vector<std::string>& wanted);

// What the bootstrap VM's system holds besides Debian's Essential packages: mmdebstrap and
// what the build script runs.
std::vector<std::string> bootstrap_packages();

struct BootstrapRequest {
  std::string build_script;  // build-guest-image.sh and its package list, run unchanged in the VM
  std::string package_list;
  std::string init_script;              // bootstrap-vm-init.sh
  std::vector<std::string> script_env;  // NAME=value for the build script (ALFS_EXTRA_PACKAGES...)
  std::string ca_bundle;                // a PEM file the guest image trusts, or ""
  std::chrono::minutes limit{60};       // the whole build, downloads included
};

// Builds the guest image of the machine's architecture ($ALFS_GUEST_ARCH: another, under
// emulation) into `out_dir` (kernel, initrd.img, rootfs.img, manifest.txt), using `work_dir`
// for the downloads and the VM's disk. Progress goes to `progress_fd`. Throws Error naming
// what failed: a download, a checksum, the VM, or the build's step with its last lines.
void build_in_bootstrap_vm(const BootstrapRequest& request, const std::string& work_dir, const std::string& out_dir,
                           int progress_fd);

}  // namespace alfs
