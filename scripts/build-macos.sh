#!/bin/sh
# Cross-compiles anylinuxfs for macOS from Linux with Zig's C++ toolchain
# (scripts/install-zig.sh installs it when missing), from the same CMake project as the
# Linux build (cmake/zig-macos.cmake). Usage: build-macos.sh [aarch64|x86_64] (default
# aarch64, Apple Silicon). Builds into build-macos/<arch>, or $ALFS_MACOS_BUILD_DIR;
# a later run rebuilds what changed. Prints the binary's path.
set -eu
arch=${1:-aarch64}
case $arch in aarch64|x86_64) ;; *) echo "build-macos: unknown architecture '$arch' (aarch64 or x86_64)" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
out=${ALFS_MACOS_BUILD_DIR:-$src/build-macos/$arch}
zig=$("$src/scripts/install-zig.sh")

# The header-only dependencies, from the Debian packages install-deps.sh installs, in a
# directory of their own: the build must not see the rest of /usr/include (glibc's).
headers=$out/header-only
mkdir -p "$headers"
for dir in CLI toml++ nlohmann; do
  [ -d "/usr/include/$dir" ] || { echo "build-macos: /usr/include/$dir is missing: run scripts/install-deps.sh" >&2; exit 1; }
  ln -sfn "/usr/include/$dir" "$headers/$dir"
done

generator=
command -v ninja >/dev/null && [ ! -f "$out/Makefile" ] && generator="-G Ninja"
# shellcheck disable=SC2086
cmake -S "$src" -B "$out" $generator -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$src/cmake/zig-macos.cmake" -DALFS_ZIG="$zig" -DALFS_MACOS_ARCH="$arch" \
  -DALFS_HEADER_ONLY_INCLUDE="$headers" >/dev/null
cmake --build "$out" --target anylinuxfs -j"${ALFS_JOBS:-$(nproc)}" >&2
echo "$out/bin/anylinuxfs"
