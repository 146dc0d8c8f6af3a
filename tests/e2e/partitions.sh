#!/bin/bash
# Partitioned images (GPT and MBR): disk.img@sN; the whole disk and a missing
# partition are clear errors; a block device (a loop device) works as a disk.
. "$(dirname "$0")/lib.sh"
mkdir "$work/mnt"
truncate -s 300M "$work/gpt.img"
truncate -s 200M "$work/mbr.img"
printf 'label: gpt\nsize=100M, name=linux\nsize=150M, name=data\n' | sfdisk -q "$work/gpt.img"
printf 'label: dos\nsize=60M, type=83\nsize=60M, type=83\n' | sfdisk -q "$work/mbr.img"
in_guest 'mkfs.ext4 -q -L gpt-ext4 /dev/vda1 && mkfs.btrfs -q -L gpt-btrfs /dev/vda2 && mkfs.ext4 -q -L mbr-two /dev/vdb2' \
  "$work/gpt.img" "$work/mbr.img"

round_trip "$work/gpt.img@s1" "$work/mnt"
round_trip "$work/gpt.img@s2" "$work/mnt"
round_trip "$work/mbr.img@s2" "$work/mnt"
expect_contains "$("$ALFS" log)" "ready: $work/mbr.img@s2 on $work/mnt (ext4, rw," "MBR partition 2 mounted as ext4"

run_failing "$ALFS" "$work/gpt.img" "$work/mnt"
expect_contains "$out" "holds a gpt partition table, not a filesystem: mount one of its partitions: $work/gpt.img@s1 (ext4 \"gpt-ext4\"" "whole disk lists its partitions"
expect_contains "$out" "$work/gpt.img@s2 (btrfs \"gpt-btrfs\"" "... with their filesystems"
run_failing "$ALFS" "$work/gpt.img@s3" "$work/mnt"
expect_contains "$out" "has no partition 3" "missing partition"

in_guest 'mount -o ro /dev/vda1 /mnt && cat /mnt/round-trip.txt && umount /mnt && e2fsck -fn /dev/vda1 >/dev/null 2>&1 &&
          btrfs check /dev/vda2 >/dev/null 2>&1 && e2fsck -fn /dev/vdb2 >/dev/null 2>&1' "$work/gpt.img" "$work/mbr.img" > "$work/out"
expect_contains "$(cat "$work/out")" "round trip $work/gpt.img@s1" "checkers clean, data in partition 1"

# A block device: partition 2 of the MBR image through a loop device of the host.
start=$(sfdisk -d "$work/mbr.img" | sed -n 's/.*mbr.img2 : start= *\([0-9]*\),.*/\1/p')
loop=$(losetup -f --show -o $((start * 512)) --sizelimit $((60 * 1048576)) "$work/mbr.img")
test_cleanup() { losetup -d "$loop" 2>/dev/null || true; }
round_trip "$loop" "$work/mnt"
expect_contains "$("$ALFS" log)" "ready: $loop on $work/mnt (ext4, rw," "a loop device mounts as a disk"
losetup -d "$loop"
no_instances_left
