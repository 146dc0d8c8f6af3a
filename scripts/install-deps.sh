#!/bin/sh
# Installs what anylinuxfs needs to build, test and run, from Debian's archive only;
# with --bench also the peers bench/peers.sh measures it against: fuse2fs, and
# guestmount (libguestfs) with what its appliance needs.
# Safe to run again: it installs only what is missing.
set -eu
packages="cmake g++ make pkg-config
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libblkid-dev
  libfuse3-dev libnfs-dev libgtest-dev libgmock-dev libssl-dev
  clang libclang-rt-14-dev clang-format
  scdoc zsh fish
  qemu-system-x86 qemu-utils fuse3 mmdebstrap uidmap cpio xz-utils zstd curl gpgv debian-archive-keyring
  e2fsprogs dosfstools btrfs-progs xfsprogs fdisk util-linux ca-certificates bc tmux jq libnfs-utils iproute2 openssl python3 file"
# The arm64 guest (the one a Mac boots), built and booted here too: its agent
# cross-compiled (Debian's cross compiler, libblkid-dev of the arm64 architecture), its
# image's maintainer scripts run by qemu-user, the VM by qemu-system-aarch64 (TCG).
if [ "$(uname -m)" = x86_64 ]; then
  packages="$packages g++-aarch64-linux-gnu libblkid-dev:arm64 qemu-system-arm qemu-user-static arch-test"
fi
# linux-image-amd64: supermin builds libguestfs's appliance from a kernel in /boot,
# which a container or microVM host may not have. libguestfs-xfs: xfsprogs inside the
# appliance (only recommended by libguestfs0, and we install no recommends).
[ "${1:-}" = --bench ] && packages="$packages fuse2fs libguestfs-tools libguestfs-xfs linux-image-amd64"
# qemu-user's binfmt_misc handler for arm64, registered where no init system did it
# (after a reboot, or in a container); the F flag keeps it working inside chroots.
register_binfmt() {
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ "$(uname -m)" = x86_64 ] && [ -f "$conf" ] || return 0
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && return 0
  [ "$(id -u)" = 0 ] || { echo "install-deps: qemu-user's arm64 handler is not registered; run as root (sudo $0)" >&2; exit 1; }
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  cat "$conf" > /proc/sys/fs/binfmt_misc/register
  echo "install-deps: registered qemu-user's binfmt_misc handler for arm64"
}
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  register_binfmt
  echo "install-deps: everything is installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-deps: missing:$missing; run as root (sudo $0)" >&2; exit 1; }
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
case $missing in
  *:arm64*) dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64 ;;
esac
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
register_binfmt
