#!/bin/bash
# Where the host has no mmdebstrap (another distribution, macOS) the guest image is built
# in a VM of our own: Debian's kernel and the packages of a build system, downloaded and
# checked by the host, run the same build script. Proven here with mmdebstrap hidden from
# PATH, by a user with no root, no sudo and no subordinate ids (so no user namespace
# build either), who then mounts an ext4 image with that image and writes through it.
. "$(dirname "$0")/lib.sh"
user=alfs-nosubid
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
# No /etc/subuid range: the rootless build in a user namespace is impossible for them.
for f in /etc/subuid /etc/subgid; do sed -i "/^$user:/d" "$f"; done
uid=$(id -u "$user"); gid=$(id -g "$user")
fuse_mode=$(stat -c %a /dev/fuse)
test_cleanup() { chmod "$fuse_mode" /dev/fuse; as_user "$ALFS" stop -f >/dev/null 2>&1; }
chmod o+rw /dev/fuse
uhome=$work/home
mkdir "$uhome" "$work/bin"
chown "$user:" "$uhome"
# Every command of the host but mmdebstrap.
for dir in /usr/local/bin /usr/bin /bin; do
  for tool in "$dir"/*; do
    name=${tool##*/}
    [ "$name" = mmdebstrap ] || [ -e "$work/bin/$name" ] || ln -s "$tool" "$work/bin/$name"
  done
done
as_user() { runuser -u "$user" -- env -u ALFS_IMAGE_DIR HOME="$uhome" PATH="$work/bin" "$@"; }
if as_user sh -c 'command -v mmdebstrap'; then fail "mmdebstrap is on the user's PATH"; fi
pass "mmdebstrap is not on the user's PATH"

as_user "$ALFS" image build > "$work/build.out" 2>&1 || { tail -n 40 "$work/build.out"; fail "image build in the VM"; }
out=$(cat "$work/build.out")
expect_contains "$out" "cannot be built on this host (missing mmdebstrap: run scripts/install-deps.sh): it is built in a VM of its own" "the build says how, and why"
expect_contains "$out" "[0/4] unpacking the build system" "the VM unpacked its build system"
expect_contains "$out" "[4/4] packing the root filesystem" "the build script ran to its end in the VM"
expect_contains "$out" "guest image ready in $uhome/.anylinuxfs/image/" "built into the user's own cache"
dir=${out##*guest image ready in }
dir=${dir%%[[:space:]]*}
for f in kernel initrd.img rootfs.img manifest.txt; do
  expect_eq "$uid" "$(stat -c %u "$dir/$f")" "$f is the user's"
done
expect_eq "0:42 0640" "$(rootfs_owner "$dir/rootfs.img" /etc/shadow)" "/etc/shadow is root:shadow 0640, as in a root build"
expect_contains "$(cat "$dir/manifest.txt")" "format 2" "the manifest is the build script's"

truncate -s 64M "$work/user.img"
mkfs.ext4 -q -L boot-vm -E root_owner="$uid:$gid" "$work/user.img"
chown "$user:" "$work/user.img"
as_user "$ALFS" "$work/user.img" "$uhome/mnt" >/dev/null
as_user sh -c "echo 'built in a VM' > '$uhome/mnt/vm.txt'"
expect_eq "built in a VM" "$(as_user cat "$uhome/mnt/vm.txt")" "the user reads back"
expect_contains "$(as_user "$ALFS" log)" "$dir" "the mount booted the VM-built image"
as_user "$ALFS" unmount -w "$uhome/mnt" >/dev/null
fsck_clean "$work/user.img"
expect_eq "built in a VM" "$(image_cat "$work/user.img" /vm.txt)" "the file is in the disk image"
