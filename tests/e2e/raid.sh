#!/bin/bash
# mdadm RAID1 of two images: raid:<d1>:<d2>; a missing member is a clear error.
. "$(dirname "$0")/lib.sh"
mkdir "$work/mnt"
truncate -s 128M "$work/a.img" "$work/b.img"
in_guest 'mdadm --create /dev/md0 --quiet --run --level=1 --raid-devices=2 --metadata=1.2 --name=mirror /dev/vda /dev/vdb &&
  mkfs.ext4 -q -L on-raid /dev/md0 && mdadm --stop /dev/md0 >/dev/null 2>&1' "$work/a.img" "$work/b.img"

run_failing "$ALFS" "$work/a.img" "$work/mnt"
expect_contains "$out" "is a RAID member: mount the array as raid:" "a member alone is explained"
out=$("$ALFS" "raid:$work/a.img:$work/b.img")
expect_contains "$out" "mounted at /mnt/mirror" "named after the array"
echo mirrored > /mnt/mirror/m.txt
"$ALFS" unmount -w /mnt/mirror >/dev/null

run_failing "$ALFS" "raid:$work/a.img" "$work/mnt"
expect_contains "$out" "the guest failed at step 'raid': mdadm: /dev/md/alfs assembled from 1 drive - need all 2 to start it" "missing member"
no_instances_left

for disk in a b; do
  # Each half of the mirror holds the data by itself.
  in_guest 'mdadm --assemble --run /dev/md0 /dev/vda >/dev/null 2>&1 && e2fsck -fn /dev/md0 >/dev/null 2>&1 && mount -o ro /dev/md0 /mnt && cat /mnt/m.txt' \
    "$work/$disk.img" > "$work/out"
  expect_eq mirrored "$(cat "$work/out")" "e2fsck clean on member $disk alone, data there"
done
