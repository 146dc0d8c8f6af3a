#!/bin/bash
# btrfs: plain, a subvolume, zstd compression, two-disk RAID1 (also read-only);
# btrfs check in a guest says clean after each.
. "$(dirname "$0")/lib.sh"
truncate -s 256M "$work/one.img" "$work/a.img" "$work/b.img"
mkdir "$work/mnt"
in_guest 'mkfs.btrfs -q -L alfs-btrfs /dev/vda && mount /dev/vda /mnt && btrfs subvolume create /mnt/sub >/dev/null &&
          echo in-sub > /mnt/sub/f.txt && umount /mnt' "$work/one.img"

round_trip "$work/one.img" "$work/mnt"
expect_contains "$("$ALFS" log)" "(btrfs, rw," "status type btrfs"

"$ALFS" -o subvol=sub "$work/one.img" "$work/mnt" >/dev/null
expect_eq in-sub "$(cat "$work/mnt/f.txt")" "-o subvol=sub shows the subvolume"
echo more > "$work/mnt/g.txt"
"$ALFS" unmount -w "$work/mnt" >/dev/null

"$ALFS" -o compress=zstd "$work/one.img" "$work/mnt" >/dev/null
head -c 8M /dev/zero | tr '\0' 'a' > "$work/mnt/compressible"
"$ALFS" unmount -w "$work/mnt" >/dev/null
expect_contains "$("$ALFS" dmesg)" "use zstd compression" "the guest kernel took compress=zstd"
in_guest 'btrfs check /dev/vda >/dev/null 2>&1 && mount -o ro /dev/vda /mnt && cat /mnt/sub/g.txt && wc -c < /mnt/compressible' \
  "$work/one.img" > "$work/check.out"
expect_eq "more 8388608" "$(tr '\n' ' ' < "$work/check.out" | sed 's/ $//')" "btrfs check clean, data in the subvolume and the compressed file"

in_guest 'mkfs.btrfs -q -L alfs-raid1 -d raid1 -m raid1 /dev/vda /dev/vdb' "$work/a.img" "$work/b.img"
round_trip "$work/a.img:$work/b.img" "$work/mnt"
"$ALFS" -o ro "$work/a.img:$work/b.img" "$work/mnt" >/dev/null
expect_contains "$(cat "$work/mnt/round-trip.txt")" "round trip" "RAID1 read-only shows the data"
expect_contains "$("$ALFS" status)" "(btrfs, ro," "RAID1 read-only status"
"$ALFS" unmount -w "$work/mnt" >/dev/null
in_guest 'btrfs device scan /dev/vda /dev/vdb >/dev/null && btrfs check /dev/vda >/dev/null 2>&1' "$work/a.img" "$work/b.img"
pass "btrfs check clean on the RAID1 pair"
no_instances_left
