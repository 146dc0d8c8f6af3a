#!/bin/bash
# exFAT and FAT32, mounted by a non-root user: the files belong to that user; the
# filesystem checkers in a guest say clean.
. "$(dirname "$0")/lib.sh"
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
uid=$(id -u "$user")
fuse_mode=$(stat -c %a /dev/fuse)
as_user() { runuser -u "$user" -- env HOME="$home" ALFS_IMAGE_DIR="${ALFS_IMAGE_DIR:-}" "$@"; }
test_cleanup() { chmod "$fuse_mode" /dev/fuse; as_user "$ALFS" stop -f >/dev/null 2>&1; }
chmod o+rw /dev/fuse

truncate -s 64M "$work/exfat.img" "$work/fat32.img"
in_guest 'mkfs.exfat -L ALFSEXFAT /dev/vda >/dev/null && mkfs.vfat -F 32 -n ALFSFAT32 /dev/vdb >/dev/null' \
  "$work/exfat.img" "$work/fat32.img"
chown "$user:" "$work/exfat.img" "$work/fat32.img"
for fs in exfat fat32; do
  mp=$(as_user "$ALFS" "$work/$fs.img" | sed -n 's/.* mounted at //p')
  [ -n "$mp" ] || fail "$fs: no mount point"
  as_user sh -c "echo 'on $fs' > '$mp/owned.txt'"
  expect_eq "on $fs" "$(as_user cat "$mp/owned.txt")" "$fs: the user writes and reads back"
  expect_eq "$uid" "$(as_user stat -c %u "$mp/owned.txt")" "$fs: files belong to the user"
  as_user "$ALFS" unmount -w "$mp" >/dev/null
done
in_guest 'fsck.exfat -n /dev/vda >/dev/null && fsck.vfat -n /dev/vdb >/dev/null &&
          mkdir -p /tmp/a /tmp/b && mount -o ro /dev/vda /tmp/a && mount -o ro /dev/vdb /tmp/b &&
          cat /tmp/a/owned.txt /tmp/b/owned.txt' "$work/exfat.img" "$work/fat32.img" > "$work/out"
expect_eq "on exfat on fat32" "$(tr '\n' ' ' < "$work/out" | sed 's/ $//')" "fsck clean, data on both disks"
