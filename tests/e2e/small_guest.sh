#!/bin/bash
# A plain ext4 mount needs no more than 256 MiB of guest RAM: with [vm] ram_size_mib = 256
# a 128 MiB file goes in and comes back intact, and the image is clean after.
. "$(dirname "$0")/lib.sh"
export HOME=$work/home ALFS_SYSTEM_CONFIG=$work/system.toml
unset SUDO_USER  # this test's HOME (and config), even as root under sudo
mkdir -p "$HOME"
printf '[vm]\nram_size_mib = 256\n' > "$ALFS_SYSTEM_CONFIG"
make_ext4 "$work/disk.img" alfs-e2e-small 512M
mkdir "$work/mnt"
head -c 128M /dev/urandom > "$work/big"

"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" log)" " -m 256 " "the VM has 256 MiB"
cp "$work/big" "$work/mnt/big"
"$ALFS" unmount -w "$work/mnt" >/dev/null
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
cmp "$work/big" "$work/mnt/big" && pass "128 MiB written and read back through a 256 MiB guest"
"$ALFS" unmount -w "$work/mnt" >/dev/null
no_instances_left
fsck_clean "$work/disk.img"
