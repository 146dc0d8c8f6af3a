#!/bin/bash
# LVM: a VG spanning two images (first and second LV), a one-disk VG, LVM on LUKS;
# a missing VG or LV is a clear error listing what exists.
. "$(dirname "$0")/lib.sh"
mkdir "$work/mnt"
truncate -s 128M "$work/a.img" "$work/b.img" "$work/c.img"
in_guest "pvcreate -q /dev/vda /dev/vdb && vgcreate -q vg0 /dev/vda /dev/vdb &&
  lvcreate -q -L 150M -n first vg0 && lvcreate -q -l 100%FREE -n second vg0 &&
  mkfs.ext4 -q -L lv-first /dev/vg0/first && mkfs.ext4 -q -L lv-second /dev/vg0/second &&
  printf lvmpass > /tmp/p && cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 /dev/vdc --key-file=/tmp/p &&
  cryptsetup open /dev/vdc cc --key-file=/tmp/p && pvcreate -q /dev/mapper/cc && vgcreate -q vgl /dev/mapper/cc &&
  lvcreate -q -l 100%FREE -n data vgl && mkfs.ext4 -q -L on-luks /dev/vgl/data &&
  vgchange -q -an vg0 vgl && cryptsetup close cc" "$work/a.img" "$work/b.img" "$work/c.img"

run_failing "$ALFS" "$work/a.img" "$work/mnt"
expect_contains "$out" "is an LVM physical volume: mount a logical volume of it as lvm:<vg>:" "a PV alone is explained"

round_trip "lvm:vg0:$work/a.img:$work/b.img:first" "$work/mnt"
round_trip "lvm:vg0:$work/a.img:$work/b.img:second" "$work/mnt"
expect_contains "$("$ALFS" log)" "ready: lvm:vg0:$work/a.img:$work/b.img:second on $work/mnt (ext4, rw," "second LV is ext4"

run_failing "$ALFS" "lvm:vg0:$work/a.img:$work/b.img:third" "$work/mnt"
expect_contains "$out" "logical volume third not found in volume group vg0 (it has: first, second)" "missing LV lists the LVs"
run_failing "$ALFS" "lvm:vgx:$work/a.img:$work/b.img:first" "$work/mnt"
expect_contains "$out" "(volume groups found: vg0)" "missing VG lists the VGs"
no_instances_left

ALFS_PASSPHRASE=lvmpass round_trip "lvm:vgl:$work/c.img:data" "$work/mnt"
in_guest "vgchange -q -ay vg0 >/dev/null && e2fsck -fn /dev/vg0/first >/dev/null 2>&1 && e2fsck -fn /dev/vg0/second >/dev/null 2>&1 &&
  mount -o ro /dev/vg0/second /mnt && cat /mnt/round-trip.txt" "$work/a.img" "$work/b.img" > "$work/out"
expect_contains "$(cat "$work/out")" "round trip lvm:vg0:$work/a.img:$work/b.img:second" "e2fsck clean on both LVs, data in the second"
no_instances_left
