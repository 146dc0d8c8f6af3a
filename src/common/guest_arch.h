// The guest's architecture: the machine's own, unless $ALFS_GUEST_ARCH names the other one a
// guest image exists for. An arm64 guest on an x86_64 host runs emulated (TCG only): it is
// how the guest a Mac boots is proven on Linux (docs/macos.md).
#pragma once

#include <string>
#include <string_view>

namespace alfs {

struct GuestArch {
  std::string name;      // as Linux's uname says it and manifests record it: "x86_64" or "aarch64"
  bool foreign = false;  // not the machine's own: no hardware acceleration can run it
};

// The guest of a machine (uname's machine: "x86_64", "aarch64", or macOS's "arm64") when
// `requested` ($ALFS_GUEST_ARCH: "x86_64", "amd64", "aarch64", "arm64"; null or empty: the
// machine's). Throws Error naming a value it does not know.
GuestArch guest_arch_for(std::string_view machine, const char* requested);

// guest_arch_for() of this machine and $ALFS_GUEST_ARCH.
GuestArch guest_arch();

}  // namespace alfs
