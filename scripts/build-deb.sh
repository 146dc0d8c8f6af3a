#!/bin/sh
# Builds a Debian package of anylinuxfs from this tree: the CLI, the agent, the image
# recipe, the man page, the completions, mount.anylinuxfs and the example config, under /usr.
# Usage: scripts/build-deb.sh [--tree BUILD_DIR] [OUT_DIR]   (prints the .deb's path)
#   OUT_DIR   where the package goes (default: build-deb/)
#   --tree    package that build tree as it is (the tests' own), instead of building one
#             of its own in OUT_DIR/tree (-DBUILD_TESTING=OFF): the install's layout is
#             relative, so any tree installs under /usr.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
tree=
if [ "${1:-}" = --tree ]; then tree=$2; shift 2; fi
out=$(mkdir -p "${1:-$src/build-deb}" && cd "${1:-$src/build-deb}" && pwd)
stage=$out/stage
if [ -z "$tree" ]; then
  tree=$out/tree
  cmake -S "$src" -B "$tree" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$tree" -j"$(nproc)"
fi
rm -rf "$stage"
DESTDIR=$stage cmake --install "$tree" --prefix /usr >/dev/null
strip --strip-unneeded "$stage/usr/bin/anylinuxfs"

version=$(sed -n 's/^project(anylinuxfs VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
arch=$(dpkg --print-architecture)
case $arch in
  amd64) qemu=qemu-system-x86 ;;
  arm64) qemu=qemu-system-arm ;;
  *) echo "no guest for $arch" >&2; exit 1 ;;
esac
# The shared libraries the CLI links, as dpkg-shlibdeps names their packages (it wants a
# debian/control to read).
rm -rf "$out/shlibs"
mkdir -p "$out/shlibs/debian"
printf 'Source: anylinuxfs\n\nPackage: anylinuxfs\nArchitecture: any\n' > "$out/shlibs/debian/control"
libs=$(cd "$out/shlibs" && dpkg-shlibdeps -O "$stage/usr/bin/anylinuxfs" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
# What it runs: QEMU, FUSE, the image build (mmdebstrap; newuidmap for a build without
# root), the tools around it.
tools="$qemu, qemu-utils, fuse3, mmdebstrap, uidmap, cpio, xz-utils, zstd, tar, e2fsprogs, util-linux, ca-certificates"
mkdir -p "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: anylinuxfs
Version: $version
Architecture: $arch
Maintainer: the anylinuxfs authors <anylinuxfs@localhost>
Depends: $libs, $tools
Section: admin
Priority: optional
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
Description: mount any filesystem Linux supports, through a microVM and NFS
 anylinuxfs mounts a disk, partition or image (ext4, btrfs, xfs, NTFS, exFAT,
 LUKS, BitLocker, LVM, mdadm RAID, ZFS, ...) by booting a small Linux VM with
 the disk attached, mounting it there with the real drivers and exporting it
 over NFS back to the host, where it appears at a normal mount point.
CONTROL
deb=$out/anylinuxfs_${version}_$arch.deb
fakeroot dpkg-deb --build --root-owner-group "$stage" "$deb" >/dev/null
echo "$deb"
