#!/bin/bash
# ZFS (the image variant `init --with-zfs`, [guest] zfs = true): a pool with a child
# dataset and a natively encrypted one mounts with every dataset under the mount point;
# its passphrase comes from ALFS_PASSPHRASE or -k (none or a wrong one: a clear error); -o ro;
# a mirror over two images; after unmount the pool imports cleanly and a scrub finds no
# error. Without `zfs = true` in the config a mount of a pool boots the ZFS variant by
# itself, saying so. The images are named whole: the pool
# member is their first partition, as on a disk given whole to ZFS.
. "$(dirname "$0")/lib.sh"
mkdir -p "$work/mnt" "$work/plain/.anylinuxfs" "$work/zfs/.anylinuxfs"
printf '[guest]\nzfs = true\n' > "$work/zfs/.anylinuxfs/config.toml"
zfs_home() { HOME=$work/zfs "$@"; }
truncate -s 256M "$work/pool.img" "$work/m1.img" "$work/m2.img"

# The ZFS variant is built once and kept beside the default image (the shared cache).
# ZFS labels a whole disk itself (GPT, the data in partition 1), which needs udev; the
# guest has none, so the test makes that layout with sfdisk and gives ZFS the partitions.
zfs_home "$ALFS" shell -c "for d in vda vdb vdc; do printf 'label: gpt\\n,,\\n' | sfdisk -q /dev/\$d || exit 1; done &&
  modprobe zfs && zpool create -f -R /tmp/z tank /dev/vda1 && zfs create tank/data &&
  echo seed > /tmp/z/tank/data/seed.txt &&
  printf zfspass12 | zfs create -o encryption=on -o keyformat=passphrase -o keylocation=prompt tank/secret &&
  echo hidden > /tmp/z/tank/secret/seed.txt &&
  zpool create -f -R /tmp/z twin mirror /dev/vdb1 /dev/vdc1 && echo both > /tmp/z/twin/seed.txt &&
  zpool export tank && zpool export twin" "$work/pool.img" "$work/m1.img" "$work/m2.img" >"$work/make.out" 2>&1 ||
  { cat "$work/make.out"; fail "making the pools in the guest"; }

# No ZFS in the config: the pool is seen on the host, and the ZFS variant boots (the
# guest's reply about the encrypted dataset proves it was the ZFS guest that answered).
HOME=$work/plain run_failing "$ALFS" "$work/pool.img" "$work/mnt"
expect_contains "$out" "$work/pool.img holds a ZFS pool: booting the guest image with OpenZFS" "a pool switches to the ZFS image, saying so"
expect_contains "$out" "dataset tank/secret is encrypted" "and the ZFS guest imports it"
HOME=$work/plain no_instances_left

zfs_home run_failing "$ALFS" "$work/pool.img" "$work/mnt"
expect_contains "$out" "dataset tank/secret is encrypted: give its passphrase with ALFS_PASSPHRASE" "no passphrase: a clear error"
ALFS_PASSPHRASE=wrong-pass zfs_home run_failing "$ALFS" "$work/pool.img" "$work/mnt"
expect_contains "$out" "tank/secret: " "a wrong passphrase names the dataset"
expect_contains "$out" "ncorrect key" "and carries zfs's words"
zfs_home no_instances_left

ALFS_PASSPHRASE=zfspass12 zfs_home "$ALFS" "$work/pool.img" "$work/mnt" >/dev/null
expect_contains "$(zfs_home "$ALFS" status)" "(zfs, rw," "status shows a zfs mount"
expect_eq seed "$(cat "$work/mnt/data/seed.txt")" "a child dataset is under the mount point"
expect_eq hidden "$(cat "$work/mnt/secret/seed.txt")" "the encrypted dataset is unlocked"
echo top > "$work/mnt/top.txt"
echo child > "$work/mnt/data/new.txt"
echo secret > "$work/mnt/secret/new.txt"
expect_eq child "$(cat "$work/mnt/data/new.txt")" "write and read back in a child dataset"
zfs_home "$ALFS" unmount -w "$work/mnt" >/dev/null

printf 'zfspass12\n' > "$work/key"
zfs_home "$ALFS" -o ro -k "$work/key" "$work/pool.img" "$work/mnt" >/dev/null
expect_eq top "$(cat "$work/mnt/top.txt")" "read-only: the data is there"
expect_eq secret "$(cat "$work/mnt/secret/new.txt")" "a key file (-k) unlocks the encrypted dataset"
if echo x 2>/dev/null > "$work/mnt/data/ro.txt"; then fail "a write to a read-only pool succeeded"; fi
pass "read-only: writes fail"
zfs_home "$ALFS" unmount -w "$work/mnt" >/dev/null

zfs_home round_trip "$work/m1.img:$work/m2.img" "$work/mnt"
zfs_home no_instances_left

zfs_home "$ALFS" shell -c "modprobe zfs && zpool import -d /dev/vda1 -R /tmp/z tank -N && printf zfspass12 | zfs load-key tank/secret &&
  zfs mount -a && cat /tmp/z/tank/top.txt /tmp/z/tank/data/new.txt /tmp/z/tank/secret/new.txt &&
  zpool import -d /dev/vdb1 -d /dev/vdc1 -R /tmp/z twin && cat /tmp/z/twin/round-trip.txt &&
  zpool scrub -w tank && zpool scrub -w twin && zpool status -x tank twin" \
  "$work/pool.img" "$work/m1.img" "$work/m2.img" >"$work/check.out" 2>&1 || { cat "$work/check.out"; fail "checking the pools"; }
check=$(cat "$work/check.out")
expect_contains "$check" $'top\nchild\nsecret' "the files are in the pool after unmount"
expect_contains "$check" "round trip $work/m1.img:$work/m2.img" "and in the mirror"
expect_contains "$check" "pool 'tank' is healthy" "scrub: tank is healthy"
expect_contains "$check" "pool 'twin' is healthy" "scrub: the mirror is healthy"
