#!/bin/bash
# init rebuilds the guest image in place; mounts keep working with it.
. "$(dirname "$0")/lib.sh"
out=$("$ALFS" init 2>&1)
expect_contains "$out" "guest image ready in" "init reports the image"
dir=${out##*guest image ready in }
for f in kernel initrd.img rootfs.img; do [ -s "$dir/$f" ] || fail "missing $dir/$f"; done
pass "image complete"
# What the boot's speed rests on: nothing left for the guest to unpack or verify.
if [ "$(uname -m)" = x86_64 ]; then
  expect_eq "$(printf '\177ELF')" "$(head -c 4 "$dir/kernel")" "the x86 kernel is stored as an ELF (PVH entry)"
fi
expect_eq 070701 "$(head -c 6 "$dir/initrd.img")" "the initrd is an uncompressed newc cpio"
kver=$(sed -n 's/^kernel //p' "$dir/manifest.txt")
nfsd=/lib/modules/$kver/kernel/fs/nfsd/nfsd.ko
[ "$(image_cat "$dir/rootfs.img" "$nfsd" | wc -c)" -gt 0 ] || fail "no uncompressed $nfsd in the image"
image_cat "$dir/rootfs.img" "$nfsd" | tail -c 28 | grep -q "~Module signature appended~" && fail "$nfsd is still signed"
pass "kernel unpacked, initrd uncompressed, per-mount modules unsigned"
[ -z "$(ls -d "$dir"/../*.partial 2>/dev/null)" ] || fail "a partial build was left"
make_ext4 "$work/disk.img" alfs-e2e-init 64M
mkdir "$work/mnt"
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
pass "mount with the rebuilt image"
"$ALFS" unmount -w "$work/mnt" >/dev/null

# The agent is not part of the image: every boot brings the CLI's own (image/boot_initrd.h),
# so an image outlives the CLI that built it.
[ -z "$(image_cat "$dir/rootfs.img" /usr/sbin/anylinuxfs-agent | head -c 1)" ] || fail "the image holds an agent"
agent=$(dirname "$ALFS")/../libexec/anylinuxfs/anylinuxfs-agent
cp "$agent" "$work/agent"
printf 'a later build of the agent' >> "$work/agent"  # still the same ELF, another file
images_before=$(ls "$dir/..")
ALFS_AGENT=$work/agent "$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
in_guest_sum=$("$ALFS" vm exec -t "$work/mnt" sha256sum /opt/anylinuxfs/anylinuxfs-agent)
"$ALFS" unmount -w "$work/mnt" >/dev/null
expect_eq "$(sha256sum < "$work/agent" | cut -d' ' -f1)" "${in_guest_sum%% *}" "the guest runs the CLI's agent"
expect_eq "$images_before" "$(ls "$dir/..")" "another agent reuses the image (no rebuild)"
fsck_clean "$work/disk.img"
pass "an image serves a CLI with another agent"
