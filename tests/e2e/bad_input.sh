#!/bin/bash
# Bad input: a clear message, a non-zero exit, and nothing left behind.
. "$(dirname "$0")/lib.sh"

run_failing "$ALFS" "$work/missing.img"
expect_contains "$out" "cannot open $work/missing.img: No such file or directory" "missing image"

touch "$work/empty.img"
run_failing "$ALFS" "$work/empty.img"
expect_contains "$out" "is empty" "empty image"

run_failing "$ALFS" "$work"
expect_contains "$out" "is a directory" "directory"

head -c 1M /dev/urandom > "$work/random.img"
run_failing "$ALFS" "$work/random.img"
expect_contains "$out" "no filesystem found" "random bytes"

# Garbage forced through the guest: the guest's own mount error, within 60 s.
mkdir "$work/gmnt"
start=$(date +%s)
run_failing "$ALFS" -t ext4 "$work/random.img" "$work/gmnt"
expect_contains "$out" "mount: /mnt/disk: wrong fs type" "garbage image: the guest's mount error"
[ $(( $(date +%s) - start )) -le 60 ] || fail "took longer than 60 s"
mountpoint -q "$work/gmnt" && fail "mount point left mounted"
no_instances_left

run_failing "$ALFS" "$work/x.img@s"
expect_contains "$out" "bad partition suffix" "bad identifier"

# The guest's own mount error reaches the user, and the VM is gone afterwards.
make_ext4 "$work/disk.img" alfs-e2e-bad 64M
mkdir "$work/mnt"
run_failing "$ALFS" -t xfs "$work/disk.img" "$work/mnt"
expect_contains "$out" "step 'mount'" "names the failing step"
expect_contains "$out" "mount: /mnt/disk: wrong fs type" "carries the guest's mount error"
mountpoint -q "$work/mnt" && fail "mount point left mounted"
no_instances_left

run_failing "$ALFS" -o nosuchoption "$work/disk.img" "$work/mnt"
expect_contains "$out" "mount:" "bad -o option carries mount's text"
expect_contains "$out" "kernel: ext4: Unknown parameter 'nosuchoption'" "... and the guest kernel's own words"
no_instances_left
fsck_clean "$work/disk.img"

echo x > "$work/file"
run_failing "$ALFS" "$work/disk.img" "$work/file"
expect_contains "$out" "is a file, not a directory" "mount point is a file"
