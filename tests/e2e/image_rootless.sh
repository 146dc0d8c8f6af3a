#!/bin/bash
# A user without root or sudo builds the guest image (the build script runs in a user
# namespace of theirs, with their /etc/subuid range), gets the ownership a root build
# gives, and mounts an ext4 image with it and writes through it.
. "$(dirname "$0")/lib.sh"
user=alfs-other
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
uid=$(id -u "$user"); gid=$(id -g "$user")
# Debian's useradd gives a new user a range; say so where it did not.
grep -q "^$user:" /etc/subuid || usermod --add-subuids 300000-365535 --add-subgids 300000-365535 "$user"
fuse_mode=$(stat -c %a /dev/fuse)
test_cleanup() { chmod "$fuse_mode" /dev/fuse; as_user "$ALFS" stop -f >/dev/null 2>&1; }
chmod o+rw /dev/fuse  # as on a stock Debian (0666); some containers make it 0600
uhome=$work/home
mkdir "$uhome"
chown "$user:" "$uhome"
# A login's PATH (no /usr/sbin), a fresh home, no shared cache: the user's own build.
as_user() { runuser -u "$user" -- env -u ALFS_IMAGE_DIR HOME="$uhome" PATH=/usr/local/bin:/usr/bin:/bin "$@"; }

as_user "$ALFS" image build > "$work/build.out" 2>&1 || { tail -n 30 "$work/build.out"; fail "image build as $user"; }
out=$(cat "$work/build.out")
expect_contains "$out" "[4/4] packing the root filesystem" "the build shows its steps"
expect_contains "$out" "guest image ready in $uhome/.anylinuxfs/image/" "built into the user's own cache"
dir=${out##*guest image ready in }
for f in kernel initrd.img rootfs.img manifest.txt; do
  expect_eq "$uid" "$(stat -c %u "$dir/$f")" "$f is the user's"
done
# Inside the root filesystem, the owners a root build gives, not the user's ids.
expect_eq "0:42 0640" "$(rootfs_owner "$dir/rootfs.img" /etc/shadow)" "/etc/shadow is root:shadow 0640"
expect_eq "0:0 04755" "$(rootfs_owner "$dir/rootfs.img" /usr/bin/passwd)" "passwd is root's and setuid"
expect_eq "$dir" "$(as_user "$ALFS" image list --json | jq -r '.images[] | select(.in_use) | "\(.cache)/\(.name)"')" \
  "the user's build is the image in use"

truncate -s 64M "$work/user.img"
mkfs.ext4 -q -L rootless -E root_owner="$uid:$gid" "$work/user.img"
chown "$user:" "$work/user.img"
as_user "$ALFS" "$work/user.img" "$uhome/mnt" >/dev/null
as_user sh -c "echo 'with my own image' > '$uhome/mnt/own.txt'"
expect_eq "with my own image" "$(as_user cat "$uhome/mnt/own.txt")" "the user reads back"
as_user "$ALFS" unmount -w "$uhome/mnt" >/dev/null
fsck_clean "$work/user.img"
expect_eq "with my own image" "$(image_cat "$work/user.img" /own.txt)" "the file is in the disk image"
