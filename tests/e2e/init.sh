#!/bin/bash
# init rebuilds the guest image in place; mounts keep working with it.
. "$(dirname "$0")/lib.sh"
out=$("$ALFS" init 2>&1)
expect_contains "$out" "guest image ready in" "init reports the image"
dir=${out##*guest image ready in }
for f in kernel initrd.img rootfs.img; do [ -s "$dir/$f" ] || fail "missing $dir/$f"; done
pass "image complete"
[ -z "$(ls -d "$dir"/../*.partial 2>/dev/null)" ] || fail "a partial build was left"
make_ext4 "$work/disk.img" alfs-e2e-init 64M
mkdir "$work/mnt"
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
pass "mount with the rebuilt image"
"$ALFS" unmount -w "$work/mnt" >/dev/null
