#!/bin/bash
# The issue's main story: mount an image at the default mount point, write through
# it, unmount with -w, and find the data in a clean filesystem.
. "$(dirname "$0")/lib.sh"
mkdir "$work/seed"; echo "seeded before mount" > "$work/seed/hello.txt"
make_ext4 "$work/disk.img" alfs-e2e-rw 128M "$work/seed"
mp=/mnt/alfs-e2e-rw

# On a terminal (script(1) gives it one), the steps show on one line rewritten in place,
# cleared before the "mounted at" line.
out=$(script -qec "$(printf '%q %q' "$ALFS" "$work/disk.img")" /dev/null)
expect_contains "$out" $'\r\033[Kanylinuxfs: starting the VM (' "the first step on the terminal's line"
expect_contains "$out" $'\r\033[Kanylinuxfs: presenting the export at '"$mp" "a later step rewrites it"
expect_contains "$out" $'\r\033[K'"$work/disk.img mounted at $mp" "mount reports where, on a cleared line"
expect_eq "seeded before mount" "$(cat "$mp/hello.txt")" "pre-seeded file readable"
expect_contains "$("$ALFS" status)" "$work/disk.img on $mp (ext4, rw, vm pid " "status line"

head -c 64M /dev/urandom > "$work/photo.jpg"
cp "$work/photo.jpg" "$mp/"
mkdir "$mp/dir" && echo nested > "$mp/dir/n.txt" && mv "$mp/dir/n.txt" "$mp/dir/moved.txt"
# A new file (created GUARDED by the bridge) has the mode asked for and a fresh mtime.
(umask 022 && echo fresh > "$mp/fresh.txt")
expect_eq 644 "$(stat -c %a "$mp/fresh.txt")" "a new file's mode"
age=$(($(date +%s) - $(stat -c %Y "$mp/fresh.txt")))
if [ "$age" -ge -5 ] && [ "$age" -le 60 ]; then pass "a new file's mtime is now"; else fail "a new file's mtime is ${age} s off"; fi
echo doomed > "$mp/doomed.txt" && rm "$mp/doomed.txt"
ln -s dir/moved.txt "$mp/link"
expect_eq nested "$(cat "$mp/link")" "symlink resolves through the mount"
chmod 0640 "$mp/dir/moved.txt"
expect_eq 640 "$(stat -c %a "$mp/dir/moved.txt")" "chmod"
mkdir "$mp/gone" && rmdir "$mp/gone"
# The bridge keeps directory handles by path (src/nfs/dir_handles): after a rename or a
# removal through the mount, a file made at once lands in the new directory of that name.
mkdir -p "$mp/a/b" && echo one > "$mp/a/b/f1"
mv "$mp/a" "$mp/c"
mkdir -p "$mp/a/b" && echo two > "$mp/a/b/f2"
rm -r "$mp/c/b" && mkdir "$mp/c/b" && echo three > "$mp/c/b/f3"
expect_eq f2 "$(ls "$mp/a/b")" "a directory made where a renamed one was holds its own file only"
expect_eq f3 "$(ls "$mp/c/b")" "a directory made where a removed one was holds its own file only"
ls "$mp" > "$work/ls.out"
expect_contains "$(cat "$work/ls.out")" "photo.jpg" "ls shows the new file"
cmp "$work/photo.jpg" "$mp/photo.jpg" && pass "64 MiB file reads back identical through the mount"

out=$("$ALFS" unmount "$mp" -w)
expect_contains "$out" "unmounted $mp" "unmount -w"
mountpoint -q "$mp" && fail "$mp is still a mount point"
[ -e "$mp" ] && fail "the default mount point was not removed"
no_instances_left

fsck_clean "$work/disk.img"
image_cat "$work/disk.img" /photo.jpg > "$work/photo.back"
cmp "$work/photo.jpg" "$work/photo.back" && pass "photo.jpg is in the image after unmount"
expect_eq nested "$(image_cat "$work/disk.img" /dir/moved.txt)" "rename landed in the image"
expect_eq two "$(image_cat "$work/disk.img" /a/b/f2)" "the file in the directory made after a rename, in the image"
expect_eq three "$(image_cat "$work/disk.img" /c/b/f3)" "the file in the directory made after a removal, in the image"
expect_contains "$(debugfs -R "stat /dir/moved.txt" "$work/disk.img" 2>/dev/null)" "Mode:  0640" "chmod landed in the image"
expect_contains "$(debugfs -R "stat /fresh.txt" "$work/disk.img" 2>/dev/null)" "Mode:  0644" "a new file's mode in the image"
expect_contains "$(debugfs -R "stat /link" "$work/disk.img" 2>/dev/null)" 'Fast link dest: "dir/moved.txt"' "symlink landed in the image"
expect_eq "" "$(debugfs -R "ls /" "$work/disk.img" 2>/dev/null | grep -o 'doomed.txt\|gone' || true)" "deleted file and directory are gone"
