#!/bin/bash
# One writer per disk: a second read-write (or read-only beside a writer) mount of
# the same image is refused, also of another partition of an image that has one
# mounted; read-only twice is allowed.
. "$(dirname "$0")/lib.sh"
make_ext4 "$work/disk.img" alfs-e2e-one 64M
mkdir "$work/a" "$work/b"

"$ALFS" "$work/disk.img" "$work/a" >/dev/null
run_failing "$ALFS" "$work/disk.img" "$work/b"
expect_contains "$out" "$work/disk.img is in use by another anylinuxfs instance (mounted at $work/a)" "second rw refused"
run_failing "$ALFS" -o ro "$work/disk.img" "$work/b"
expect_contains "$out" "is in use by another anylinuxfs instance" "ro beside rw refused"
mountpoint -q "$work/b" && fail "refused mount left a mount"
expect_eq 1 "$("$ALFS" status | wc -l)" "only the first instance runs"
"$ALFS" unmount -w "$work/a" >/dev/null

"$ALFS" -o ro "$work/disk.img" "$work/a" >/dev/null
"$ALFS" -o ro "$work/disk.img" "$work/b" >/dev/null
expect_eq 2 "$("$ALFS" status | wc -l)" "read-only twice is allowed"
"$ALFS" unmount -w >/dev/null
no_instances_left
fsck_clean "$work/disk.img"

# Another partition of an image with a mounted partition: the image is one disk.
truncate -s 96M "$work/parts.img"
printf 'label: gpt\nsize=40M\nsize=40M\n' | sfdisk -q "$work/parts.img"
in_guest 'mkfs.ext4 -q -L part-one /dev/vda1 && mkfs.ext4 -q -L part-two /dev/vda2' "$work/parts.img"
"$ALFS" "$work/parts.img@s1" "$work/a" >/dev/null
run_failing "$ALFS" "$work/parts.img@s2" "$work/b"
expect_contains "$out" "$work/parts.img is in use by another anylinuxfs instance (mounted at $work/a)" \
  "another partition of the same image is refused"
"$ALFS" unmount -w "$work/a" >/dev/null
no_instances_left
