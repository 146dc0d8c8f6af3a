#!/bin/bash
# The macOS binary (issue 17): scripts/build-macos.sh cross-compiles anylinuxfs for Apple
# Silicon with Zig, from the same CMake project as the Linux build. A translation unit that
# stops compiling or linking for macOS fails here. No Mac runs the result (docs/macos.md).
set -euo pipefail
: "${ALFS_MACOS_BUILD_DIR:?set ALFS_MACOS_BUILD_DIR to the build directory}"
src=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*"; exit 1; }
# Niced: it runs beside the VM tests, whose deadlines are the ones that matter.
bin=$(ALFS_JOBS=${ALFS_JOBS:-2} nice -n 10 "$src/scripts/build-macos.sh" aarch64) || fail "the macOS build failed (its output is above)"
kind=$(file -b "$bin")
echo "$bin: $kind"
[[ $kind == "Mach-O 64-bit arm64 executable"* ]] || fail "$bin is not a Mach-O arm64 executable"
echo "ok: anylinuxfs builds and links for aarch64-macos"
