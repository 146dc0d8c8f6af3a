#!/bin/bash
# `--version` names the CLI's version, the guest image a mount would boot and the QEMU it
# runs (no VM started).
set -euo pipefail
ALFS=${ALFS:?set ALFS to the anylinuxfs binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$work/cache/0123456789abcdef"
for f in kernel initrd.img rootfs.img; do : > "$work/cache/0123456789abcdef/$f"; done
printf 'format 2\narch x86_64\nkernel 6.12.0-test\nbuilt 2026-12-06T00:00:00Z\n' > "$work/cache/0123456789abcdef/manifest.txt"
echo default > "$work/cache/0123456789abcdef/variant"
: > "$work/cache/0123456789abcdef/imported"  # another key than this CLI's: used as imported
out=$(HOME=$work ALFS_IMAGE_DIR=$work/cache "$ALFS" --version) || fail "--version exited $?"
echo "$out"
[ "$(sed -n 1p <<<"$out")" = "anylinuxfs $(sed -n 's/^project(anylinuxfs VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../../CMakeLists.txt")" ] ||
  fail "the first line is not the version"
grep -qx "guest image: 0123456789abcdef (default, x86_64, kernel 6.12.0-test, built 2026-12-06T00:00:00Z) in $work/cache" <<<"$out" ||
  fail "the image in use is not named"
grep -q "^qemu-system-[a-z0-9_]*: QEMU emulator version " <<<"$out" || fail "QEMU's version is not named"
out=$(HOME=$work ALFS_IMAGE_DIR=$work/empty "$ALFS" --version)
grep -qx 'guest image: none yet (`anylinuxfs image build` builds one)' <<<"$out" || fail "no image is not said"
echo "ok: --version names the image and QEMU"
