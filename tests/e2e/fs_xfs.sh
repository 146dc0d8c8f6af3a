#!/bin/bash
# xfs: mount, write, read back, unmount; xfs_repair -n in a guest says clean.
. "$(dirname "$0")/lib.sh"
truncate -s 320M "$work/x.img"
mkdir "$work/mnt"
in_guest 'mkfs.xfs -q -L alfs-xfs /dev/vda' "$work/x.img"
round_trip "$work/x.img" "$work/mnt"
in_guest 'xfs_repair -n /dev/vda >/dev/null 2>&1 && mount -o ro /dev/vda /mnt && cat /mnt/round-trip.txt' "$work/x.img" > "$work/out"
expect_contains "$(cat "$work/out")" "round trip" "xfs_repair -n clean, data on the disk"
no_instances_left
