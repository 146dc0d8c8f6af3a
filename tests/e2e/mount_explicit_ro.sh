#!/bin/bash
# An explicit mount point and -o ro: reads work, writes fail with EROFS, the image is untouched.
. "$(dirname "$0")/lib.sh"
mkdir "$work/seed"; echo "read me" > "$work/seed/r.txt"
make_ext4 "$work/disk.img" alfs-e2e-ro 64M "$work/seed"
mkdir "$work/mnt"
sum_before=$(sha256sum < "$work/disk.img")

"$ALFS" mount -o ro "$work/disk.img" "$work/mnt" >/dev/null
expect_eq "read me" "$(cat "$work/mnt/r.txt")" "read through a read-only mount"
expect_contains "$("$ALFS" status)" "on $work/mnt (ext4, ro," "status says ro"
set +e; err=$(echo x 2>&1 > "$work/mnt/new.txt"); set -e
expect_contains "$err" "Read-only file system" "write fails with EROFS"

"$ALFS" unmount "$work/mnt" -w >/dev/null
[ -d "$work/mnt" ] || fail "a user-given mount point must stay"
mountpoint -q "$work/mnt" && fail "still mounted"
expect_eq "$sum_before" "$(sha256sum < "$work/disk.img")" "image unchanged by a read-only mount"
no_instances_left
