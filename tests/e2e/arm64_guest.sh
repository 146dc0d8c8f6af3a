#!/bin/bash
# The arm64 guest, the one a Mac boots, on this x86_64 host (ALFS_GUEST_ARCH=arm64:
# qemu-system-aarch64 -M virt under TCG, the arm64 image and the cross-compiled agent):
# ext4, btrfs and LUKS2 each mounted read-write, written, read back, unmounted with -w,
# and checked clean afterwards.
. "$(dirname "$0")/lib.sh"
export ALFS_GUEST_ARCH=arm64
mkdir "$work/mnt"
make_ext4 "$work/ext4.img" arm-ext4 64M
truncate -s 160M "$work/btrfs.img" "$work/luks.img"
mkfs.btrfs -q -L arm-btrfs "$work/btrfs.img"
# The LUKS2 volume is made by the x86_64 guest (the host has no device-mapper): the format
# is the same on both. PBKDF2 with few iterations: Argon2 would take minutes emulated.
ALFS_GUEST_ARCH= in_guest "printf pw > /tmp/p && cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 \
  --pbkdf-force-iterations 1000 /dev/vda --key-file=/tmp/p && cryptsetup open /dev/vda c --key-file=/tmp/p &&
  mkfs.ext4 -q -L arm-luks /dev/mapper/c && cryptsetup close c" "$work/luks.img"

round_trip "$work/ext4.img" "$work/mnt"
log=$("$ALFS" log)
expect_contains "$log" "qemu-system-aarch64 " "the VM is QEMU's aarch64 system"
expect_contains "$log" "guest is up, kernel 6.12" "the guest said hello"
expect_contains "$log" "-arm64" "the guest kernel is Debian's arm64 one"
fsck_clean "$work/ext4.img"
expect_contains "$(image_cat "$work/ext4.img" /round-trip.txt)" "round trip $work/ext4.img" "the file is on the ext4 disk"

round_trip "$work/btrfs.img" "$work/mnt"
expect_contains "$("$ALFS" log)" "(btrfs, rw," "btrfs mounted read-write"
btrfs check --readonly "$work/btrfs.img" >"$work/check.out" 2>&1 || { cat "$work/check.out"; fail "btrfs check"; }
pass "btrfs check clean"

ALFS_PASSPHRASE=pw round_trip "$work/luks.img" "$work/mnt"
expect_contains "$("$ALFS" log)" "(ext4, rw," "LUKS2 unlocked: ext4 inside"
ALFS_GUEST_ARCH= in_guest "printf pw > /tmp/p && cryptsetup open /dev/vda c --key-file=/tmp/p &&
  e2fsck -fn /dev/mapper/c >/dev/null && mount -o ro /dev/mapper/c /mnt && cat /mnt/round-trip.txt" "$work/luks.img" >"$work/luks.out"
expect_contains "$(cat "$work/luks.out")" "round trip $work/luks.img" "the file is in the LUKS2 volume, e2fsck clean"
no_instances_left
