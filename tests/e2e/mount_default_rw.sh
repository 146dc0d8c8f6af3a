#!/bin/bash
# The issue's main story: mount an image at the default mount point, write through
# it, unmount with -w, and find the data in a clean filesystem.
. "$(dirname "$0")/lib.sh"
mkdir "$work/seed"; echo "seeded before mount" > "$work/seed/hello.txt"
make_ext4 "$work/disk.img" alfs-e2e-rw 128M "$work/seed"
mp=/mnt/alfs-e2e-rw

out=$("$ALFS" "$work/disk.img")
expect_contains "$out" "mounted at $mp" "mount reports where"
expect_eq "seeded before mount" "$(cat "$mp/hello.txt")" "pre-seeded file readable"
expect_contains "$("$ALFS" status)" "$work/disk.img on $mp (ext4, rw, vm pid " "status line"

head -c 3000000 /dev/urandom > "$work/photo.jpg"
cp "$work/photo.jpg" "$mp/"
mkdir "$mp/dir" && echo nested > "$mp/dir/n.txt" && mv "$mp/dir/n.txt" "$mp/dir/moved.txt"
ls "$mp" > "$work/ls.out"
expect_contains "$(cat "$work/ls.out")" "photo.jpg" "ls shows the new file"
cmp "$work/photo.jpg" "$mp/photo.jpg" && pass "file reads back identical through the mount"

out=$("$ALFS" unmount "$mp" -w)
expect_contains "$out" "unmounted $mp" "unmount -w"
mountpoint -q "$mp" && fail "$mp is still a mount point"
[ -e "$mp" ] && fail "the default mount point was not removed"
no_instances_left

fsck_clean "$work/disk.img"
image_cat "$work/disk.img" /photo.jpg > "$work/photo.back"
cmp "$work/photo.jpg" "$work/photo.back" && pass "photo.jpg is in the image after unmount"
expect_eq nested "$(image_cat "$work/disk.img" /dir/moved.txt)" "rename landed in the image"
