#include "common/guest_arch.h"

#include <sys/utsname.h>

#include <cstdlib>

#include "common/error.h"

namespace alfs {

namespace {
// Linux's name of an architecture ("aarch64" where macOS and Debian say "arm64"), or "".
std::string canonical(std::string_view name) {
  if (name == "x86_64" || name == "amd64") return "x86_64";
  if (name == "aarch64" || name == "arm64") return "aarch64";
  return "";
}
}  // namespace

GuestArch guest_arch_for(std::string_view machine, const char* requested) {
  GuestArch arch{canonical(machine)};
  if (requested == nullptr || *requested == '\0') return arch;
  std::string wanted = canonical(requested);
  if (wanted.empty())
    throw Error("ALFS_GUEST_ARCH='" + std::string(requested) + "': the guest image exists for x86_64 and arm64");
  arch.foreign = wanted != arch.name;
  arch.name = wanted;
  return arch;
}

GuestArch guest_arch() {
  utsname names{};
  if (::uname(&names) != 0) throw SystemError("uname");
  return guest_arch_for(names.machine, std::getenv("ALFS_GUEST_ARCH"));
}

}  // namespace alfs
