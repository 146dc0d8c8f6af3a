#!/bin/bash
# A disk the host itself has mounted is refused (one writer per disk, the host included),
# by image path and by its loop device; -r unmounts it from the host first.
. "$(dirname "$0")/lib.sh"
mkdir "$work/hostmnt" "$work/mnt"
make_ext4 "$work/disk.img" alfs-e2e-host 64M
test_cleanup() { umount "$work/hostmnt" 2>/dev/null; [ -n "${loop:-}" ] && losetup -d "$loop" 2>/dev/null; true; }
loop=$(losetup --find --show "$work/disk.img")
mount "$loop" "$work/hostmnt"
echo "written by the host" > "$work/hostmnt/host.txt"

run_failing "$ALFS" "$work/disk.img" "$work/mnt"
expect_contains "$out" "$work/disk.img is mounted by the host at $work/hostmnt" "the image is refused while the host has it mounted"
expect_contains "$out" "pass -r" "and the message says how"
run_failing "$ALFS" "$loop" "$work/mnt"
expect_contains "$out" "is mounted by the host at $work/hostmnt" "its loop device too"
no_instances_left

"$ALFS" -r "$work/disk.img" "$work/mnt" >/dev/null
mountpoint -q "$work/hostmnt" && fail "-r left the host mount"
pass "-r unmounted the host's mount"
expect_eq "written by the host" "$(cat "$work/mnt/host.txt")" "the host's write is there"
echo "then through anylinuxfs" > "$work/mnt/ours.txt"
"$ALFS" unmount -w "$work/mnt" >/dev/null
losetup -d "$loop"; loop=
no_instances_left
fsck_clean "$work/disk.img"
expect_eq "then through anylinuxfs" "$(image_cat "$work/disk.img" /ours.txt)" "our write is in the image"
