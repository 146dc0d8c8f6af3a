#!/bin/bash
# stop: the clean way (unmount + guest shutdown) and -f (kill, release the mount point).
. "$(dirname "$0")/lib.sh"
make_ext4 "$work/disk.img" alfs-e2e-stop 64M
mkdir "$work/mnt"

"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
echo "before stop" > "$work/mnt/a.txt"
expect_contains "$("$ALFS" stop "$work/mnt")" "stopped $work/mnt" "stop"
mountpoint -q "$work/mnt" && fail "still mounted after stop"
no_instances_left
fsck_clean "$work/disk.img"
expect_eq "before stop" "$(image_cat "$work/disk.img" /a.txt)" "data written before stop is in the image"

"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
vm_pid=$("$ALFS" status | sed -n 's/.*vm pid \([0-9]*\))$/\1/p')
expect_contains "$("$ALFS" stop -f "$work/mnt")" "stopped $work/mnt" "stop -f"
alive "$vm_pid" && fail "VM $vm_pid survived stop -f"
mountpoint -q "$work/mnt" && fail "still mounted after stop -f"
no_instances_left
# After a power cut the journal makes it consistent: a fresh mount must work.
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
pass "mounts again after stop -f"
"$ALFS" unmount -w "$work/mnt" >/dev/null
fsck_clean "$work/disk.img"
