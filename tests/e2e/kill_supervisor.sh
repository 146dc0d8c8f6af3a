#!/bin/bash
# kill -9 of the instance's supervisor: the guest sees its control channel close,
# unmounts cleanly and powers off; the dead mount point is released by the next command.
. "$(dirname "$0")/lib.sh"
make_ext4 "$work/disk.img" alfs-e2e-kill 64M
mkdir "$work/mnt"
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
echo "acknowledged" > "$work/mnt/f.txt"
sync "$work/mnt/f.txt"
supervisor=$(sed -n 's/.*"supervisor_pid": \([0-9]*\).*/\1/p' ~/.anylinuxfs/instances/*/instance.json | head -n1)
vm=$("$ALFS" status | sed -n 's/.*vm pid \([0-9]*\))$/\1/p')
[ -n "$supervisor" ] && [ -n "$vm" ] || fail "no supervisor/vm pid"
kill -9 "$supervisor"
for _ in $(seq 60); do alive "$vm" || break; sleep 0.5; done
alive "$vm" && fail "the VM did not power off within 30 s of losing its supervisor"
pass "the VM powered off by itself"
expect_contains "$("$ALFS" dmesg)" "anylinuxfs-agent: filesystem unmounted" "the guest unmounted cleanly"
expect_eq "" "$("$ALFS" status)" "status cleans the dead instance"
mountpoint -q "$work/mnt" && fail "the dead FUSE mount was not released"
fsck_clean "$work/disk.img"
expect_eq acknowledged "$(image_cat "$work/disk.img" /f.txt)" "fsync'd data is in the image"
