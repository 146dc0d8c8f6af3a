#!/bin/bash
# f2fs (in Debian's full kernel flavour, not the cloud one): round trip, fsck.f2fs clean.
. "$(dirname "$0")/lib.sh"
truncate -s 128M "$work/f.img"
mkdir "$work/mnt"
in_guest 'mkfs.f2fs -q -l alfs-f2fs /dev/vda >/dev/null' "$work/f.img"
round_trip "$work/f.img" "$work/mnt"
expect_contains "$("$ALFS" log)" "(f2fs, rw," "mounted as f2fs"
in_guest 'fsck.f2fs /dev/vda >/dev/null 2>&1 && mount -o ro /dev/vda /mnt && cat /mnt/round-trip.txt' "$work/f.img" > "$work/out"
expect_contains "$(cat "$work/out")" "round trip" "fsck.f2fs clean, data on the disk"
no_instances_left
