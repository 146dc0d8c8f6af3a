#!/bin/sh
# Configures and builds into build/ (the build tree mirrors the install tree).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
# The agent of arm64 guests (the guest a Mac boots, ALFS_GUEST_ARCH=aarch64 on this
# host), beside the native one, when Debian's cross compiler is there (install-deps.sh).
if [ "$(uname -m)" = x86_64 ] && command -v aarch64-linux-gnu-g++ >/dev/null; then
  cmake -S . -B build/agent-aarch64 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DALFS_AGENT_ONLY=ON \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux.cmake" -DALFS_AGENT_DIR="$PWD/build/libexec/anylinuxfs/aarch64" >/dev/null
  cmake --build build/agent-aarch64 -j"$(nproc)"
fi
