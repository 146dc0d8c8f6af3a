#include "cli/version.h"

#include <chrono>

#include "common/printable.h"
#include "common/process.h"
#include "config/paths.h"
#include "image/guest_image.h"
#include "vm/qemu.h"

namespace alfs::cli {

namespace {

std::string image_line() {
  try {
    for (const ImageEntry& e : list_images(resolve_paths()))
      if (e.in_use)
        return "guest image: " + e.key + " (" + e.variant + ", " + (e.arch.empty() ? "" : e.arch + ", ") + "kernel " +
               printable(e.kernel) + ", built " + printable(e.built) + ") in " + e.cache;
    return "guest image: none yet (`anylinuxfs image build` builds one)";
  } catch (const std::exception& e) {
    return std::string("guest image: unknown (") + e.what() + ")";
  }
}

std::string qemu_line() {
  std::string qemu = vm::qemu_binary(vm::read_host_facts());
  try {
    RunResult r = run_command({qemu, "--version"}, std::chrono::seconds(5));
    std::string first = r.output.substr(0, r.output.find('\n'));
    if (r.ok() && !first.empty()) return qemu + ": " + printable(first);
    return qemu + ": does not run (" + r.status.describe() + ")";
  } catch (const std::exception& e) {
    return qemu + ": not found (" + std::string(e.what()) + ")";
  }
}

}  // namespace

std::string version_text() {
  return std::string("anylinuxfs ") + ALFS_VERSION + "\n" + image_line() + "\n" + qemu_line();
}

}  // namespace alfs::cli
