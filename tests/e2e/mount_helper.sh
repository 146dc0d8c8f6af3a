#!/bin/bash
# mount(8) integration: /sbin/mount.anylinuxfs (a link to the CLI, as the package installs
# it) serves `mount -t anylinuxfs`, an fstab line mounted by `mount MOUNT_POINT` (also by
# LABEL=), and `umount` ends the instance cleanly; without a guest image it fails at once
# instead of building one.
. "$(dirname "$0")/lib.sh"
helper=/sbin/mount.anylinuxfs
[ ! -e "$helper" ] || fail "$helper exists already: not ours to replace"
test_cleanup() {
  for m in "$work"/mnt*; do umount "$m" 2>/dev/null; done
  [ -n "${loop:-}" ] && losetup -d "$loop" 2>/dev/null
  rm -f "$helper"
}
ln -s "$ALFS" "$helper"

# The instance ends by itself once its mount point is unmounted.
wait_instance_gone() {
  for _ in $(seq 60); do [ -z "$("$ALFS" status)" ] && ! pgrep -f "anylinuxfs-[0-9]" >/dev/null && break; sleep 0.5; done
  no_instances_left
}

mkdir "$work/seed"; echo "seeded" > "$work/seed/s.txt"
make_ext4 "$work/disk.img" alfs-e2e-helper 64M "$work/seed"
mkdir "$work/mnt1" "$work/mnt2" "$work/mnt3"

out=$(mount -t anylinuxfs -o noatime "$work/disk.img" "$work/mnt1" 2>&1)
expect_eq "" "$out" "mount -t anylinuxfs prints nothing"
expect_eq "fuse.anylinuxfs" "$(findmnt -no FSTYPE "$work/mnt1")" "the mount point is ours"
expect_eq "seeded" "$(cat "$work/mnt1/s.txt")" "read through mount -t anylinuxfs"
echo "by mount -t" > "$work/mnt1/t.txt"
umount "$work/mnt1"
wait_instance_gone
fsck_clean "$work/disk.img"
expect_eq "by mount -t" "$(image_cat "$work/disk.img" /t.txt)" "umount ends the instance with the data on the disk"

# An fstab line, with what fstab lines carry (noauto, x-systemd.*, nofail) and the
# filesystem type as an option; mount(8) finds it by mount point (-T: this file, not /etc/fstab).
printf '%s %s anylinuxfs noauto,nofail,x-systemd.automount,fstype=ext4 0 0\n' "$work/disk.img" "$work/mnt2" \
  > "$work/fstab"
loop=$(losetup -f --show "$work/disk.img")
printf 'LABEL=alfs-e2e-helper %s anylinuxfs noauto,ro 0 0\n' "$work/mnt3" >> "$work/fstab"
mount -T "$work/fstab" "$work/mnt2"
echo "by fstab" > "$work/mnt2/f.txt"
expect_eq "by fstab" "$(cat "$work/mnt2/f.txt")" "write and read back through an fstab line"
umount "$work/mnt2"
wait_instance_gone
fsck_clean "$work/disk.img"
expect_eq "by fstab" "$(image_cat "$work/disk.img" /f.txt)" "the fstab mount's write is on the disk"

mount -T "$work/fstab" "$work/mnt3"
expect_contains "$("$ALFS" status)" "$loop on $work/mnt3 (ext4, ro," "LABEL= resolves to the block device"
expect_eq "by fstab" "$(cat "$work/mnt3/f.txt")" "read through a LABEL= line"
umount "$work/mnt3"
wait_instance_gone
losetup -d "$loop"; loop=

# No image yet (an empty cache): a boot must not stall building one.
mkdir "$work/empty-cache"
start=$(date +%s)
ALFS_IMAGE_DIR="$work/empty-cache" run_failing mount -t anylinuxfs "$work/disk.img" "$work/mnt1"
expect_eq 32 "$rc" "mount(8) reports a mount failure"
expect_contains "$out" "no guest image in $work/empty-cache" "the helper says the image is missing"
expect_contains "$out" "anylinuxfs image build" "and how to build it"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "the helper took $(( $(date +%s) - start )) s to fail"
pass "it fails at once"
mountpoint -q "$work/mnt1" && fail "something is mounted at $work/mnt1"
[ -z "$(ls -A "$work/empty-cache" | grep -v '^\.build\.lock$' || true)" ] || fail "the helper built into the empty cache"
no_instances_left

run_failing "$helper" "$work/disk.img"
expect_eq 1 "$rc" "a bad invocation exits 1, as mount(8)'s helpers do"
