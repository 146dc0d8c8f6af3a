#!/bin/bash
# A non-root user who owns the image mounts it at ~/mnt/<label> through FUSE.
. "$(dirname "$0")/lib.sh"
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
uid=$(id -u "$user"); gid=$(id -g "$user")
truncate -s 64M "$work/user.img"
mkfs.ext4 -q -L userdisk -E root_owner="$uid:$gid" "$work/user.img"
chown "$user:" "$work/user.img"
# The user needs /dev/fuse, as on a stock Debian (0666); some containers make it 0600.
fuse_mode=$(stat -c %a /dev/fuse)
test_cleanup() { chmod "$fuse_mode" /dev/fuse; as_user "$ALFS" stop -f >/dev/null 2>&1; }
chmod o+rw /dev/fuse
as_user() { runuser -u "$user" -- env HOME="$home" ALFS_IMAGE_DIR="${ALFS_IMAGE_DIR:-}" "$@"; }

out=$(as_user "$ALFS" "$work/user.img")
expect_contains "$out" "mounted at $home/mnt/userdisk" "default mount point in the user's home"
as_user sh -c "echo 'by the user' > '$home/mnt/userdisk/u.txt'"
expect_eq "by the user" "$(as_user cat "$home/mnt/userdisk/u.txt")" "user reads back"
expect_contains "$(as_user "$ALFS" status)" "(ext4, rw, vm pid" "user's status"
ps -o user= -p "$(pgrep -f "anylinuxfs-[0-9]" | head -n1)" | grep -q "$user" && pass "the VM runs as the user"
as_user "$ALFS" unmount -w "$home/mnt/userdisk" >/dev/null
expect_eq "" "$(as_user "$ALFS" status)" "no instance left for the user"
fsck_clean "$work/user.img"
expect_eq "by the user" "$(image_cat "$work/user.img" /u.txt)" "user's file is in the image"
owner=$(debugfs -R "stat /u.txt" "$work/user.img" 2>/dev/null | sed -n 's/.*User: *\([0-9]*\).*/\1/p')
expect_eq "$uid" "$owner" "the file belongs to the user"

# --ignore-permissions: a filesystem whose files belong to root is writable by the user.
mkdir "$work/rootfs-seed"
echo "root's" > "$work/rootfs-seed/root.txt"
make_ext4 "$work/root.img" rootowned 64M "$work/rootfs-seed"
chown "$user:" "$work/root.img"
as_user "$ALFS" "$work/root.img" >/dev/null
as_user sh -c "echo nope > '$home/mnt/rootowned/denied.txt'" 2>/dev/null && fail "a root-owned directory was writable"
pass "without --ignore-permissions the root-owned top directory is not writable"
as_user "$ALFS" unmount -w "$home/mnt/rootowned" >/dev/null
as_user "$ALFS" --ignore-permissions "$work/root.img" >/dev/null
as_user sh -c "echo 'despite root' > '$home/mnt/rootowned/allowed.txt' && echo more >> '$home/mnt/rootowned/root.txt'"
expect_eq "despite root" "$(as_user cat "$home/mnt/rootowned/allowed.txt")" "--ignore-permissions: the user writes anywhere"
as_user "$ALFS" unmount -w "$home/mnt/rootowned" >/dev/null
fsck_clean "$work/root.img"
expect_eq "root's
more" "$(image_cat "$work/root.img" /root.txt)" "the root-owned file was changed"
