#!/bin/bash
# One writer per disk: a second read-write (or read-only beside a writer) mount of
# the same image is refused; read-only twice is allowed.
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
