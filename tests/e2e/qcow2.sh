#!/bin/bash
# qcow2 images, whole and partitioned: the host cannot look inside, the guest can.
. "$(dirname "$0")/lib.sh"
mkdir "$work/mnt"
qemu-img create -q -f qcow2 "$work/disk.qcow2" 128M
qemu-img create -q -f qcow2 "$work/parts.qcow2" 128M
in_guest 'mkfs.ext4 -q -L q-whole /dev/vda &&
          printf "label: gpt\nsize=40M\nsize=40M\n" | sfdisk -q /dev/vdb && sleep 0.5 && mkfs.ext4 -q -L q-part2 /dev/vdb2' \
  "$work/disk.qcow2" "$work/parts.qcow2"
expect_eq qcow2 "$(qemu-img info "$work/disk.qcow2" | sed -n 's/^file format: //p')" "still qcow2 after the guest wrote it"

out=$("$ALFS" "$work/disk.qcow2" "$work/mnt")
expect_contains "$("$ALFS" status)" "(ext4, rw," "the guest found ext4 inside qcow2"
echo qcow > "$work/mnt/q.txt"
"$ALFS" unmount -w "$work/mnt" >/dev/null
round_trip "$work/parts.qcow2@s2" "$work/mnt"

in_guest 'e2fsck -fn /dev/vda >/dev/null 2>&1 && e2fsck -fn /dev/vdb2 >/dev/null 2>&1 && mount -o ro /dev/vda /mnt && cat /mnt/q.txt' \
  "$work/disk.qcow2" "$work/parts.qcow2" > "$work/out"
expect_eq qcow "$(cat "$work/out")" "e2fsck clean in the guest, data inside the qcow2"
qemu-img check -q "$work/disk.qcow2" && pass "qemu-img check clean"
no_instances_left
