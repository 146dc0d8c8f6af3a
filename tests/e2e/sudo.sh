#!/bin/bash
# Under sudo, root only opens the disk and makes the mount point: the supervisor, QEMU
# and the FUSE session run as the user who ran sudo, and files created through the
# mount point are theirs. The disk is a block device only root may open (what sudo
# grants; an image file must be the user's to read, see sudo_attacks.sh). (sudo is
# simulated: root with the variables sudo sets.)
. "$(dirname "$0")/lib.sh"
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
uid=$(id -u "$user"); gid=$(id -g "$user")
fuse_mode=$(stat -c %a /dev/fuse)
as_sudo() { env SUDO_USER="$user" SUDO_UID="$uid" SUDO_GID="$gid" "$@"; }
as_user() { runuser -u "$user" -- "$@"; }
test_cleanup() {
  chmod "$fuse_mode" /dev/fuse; as_sudo "$ALFS" stop -f >/dev/null 2>&1
  [ -z "${loop:-}" ] || losetup -d "$loop"
}
chmod o+rw /dev/fuse  # as on a stock Debian (0666); some containers make it 0600

make_ext4 "$work/disk.img" alfs-e2e-sudo 64M
chmod 600 "$work/disk.img"  # root's alone: only root can open it
mkfs_root=$(stat -c %U "$work/disk.img")
# The root directory of the filesystem is the user's, as on their own disk.
debugfs -w -R "set_inode_field / uid $uid" "$work/disk.img" >/dev/null 2>&1
debugfs -w -R "set_inode_field / gid $gid" "$work/disk.img" >/dev/null 2>&1
loop=$(losetup --find --show "$work/disk.img")
chmod 600 "$loop"
as_user test -r "$loop" && fail "the user can read $loop"

out=$(as_sudo "$ALFS" "$loop")
mp=/mnt/alfs-e2e-sudo
expect_eq "$loop mounted at $mp" "$out" "mounted under sudo at /mnt/<label>"
vm=$(pgrep -f "anylinuxfs-[0-9]" | head -n1)
expect_eq "$user" "$(ps -o user= -p "$vm")" "QEMU runs as the invoking user"
supervisor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["supervisor_pid"])' "$home"/.anylinuxfs/instances/*/instance.json)
expect_eq "$user" "$(ps -o user= -p "$supervisor")" "the supervisor (and its FUSE session) runs as the user"
grep -q "/dev/fdset/" "$home/.anylinuxfs/logs/latest.log" && pass "QEMU got the disk as an fd" || fail "QEMU opened the disk by path"
expect_eq "$mkfs_root 600" "$(stat -c '%U %a' "$work/disk.img")" "the image stays root's alone"

as_user sh -c "echo 'by the invoking user' > '$mp/mine.txt'"
expect_eq "by the invoking user" "$(as_user cat "$mp/mine.txt")" "the user writes and reads back"
expect_contains "$(as_sudo "$ALFS" status)" "$loop on $mp (ext4, rw, vm pid" "status under sudo"

as_sudo "$ALFS" unmount -w "$mp" >/dev/null
[ -e "$mp" ] && fail "the mount point root made is left behind"
pass "the mount point root made is removed"

# A `shell` VM too: root opens the block device, QEMU runs as the user.
as_sudo "$ALFS" shell -c 'sleep 10' "$loop" &
shell=$!
for _ in $(seq 60); do vm=$(pgrep -f "anylinuxfs-shell-" | head -n1) && [ -n "$vm" ] && break; sleep 0.5; done
[ -n "${vm:-}" ] || fail "no shell VM"
expect_eq "$user" "$(ps -o user= -p "$vm")" "the shell's QEMU runs as the invoking user"
wait "$shell" || fail "the shell under sudo failed"
expect_eq "$mkfs_root 600" "$(stat -c '%U %a' "$work/disk.img")" "the image is still root's alone"
no_instances_left
losetup -d "$loop"; loop=
fsck_clean "$work/disk.img"
expect_eq "by the invoking user" "$(image_cat "$work/disk.img" /mine.txt)" "the file is in the image"
owner=$(debugfs -R "stat /mine.txt" "$work/disk.img" 2>/dev/null | sed -n 's/.*User: *\([0-9]*\).*/\1/p')
expect_eq "$uid" "$owner" "the file belongs to the invoking user"
