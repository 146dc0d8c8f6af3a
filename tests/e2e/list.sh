#!/bin/bash
# list: images (GPT with ext4 + btrfs, MBR with ext4 + FAT, a whole-disk ext4) in the
# diskutil layout and as JSON, with the identifiers mount accepts; -m and -l; a missing
# disk is an error on that disk while the others are still listed; a loop device is a
# disk image. Boots no VM.
. "$(dirname "$0")/lib.sh"
# Without a VM of its own, this test leaves every instance alone (lib.sh's cleanup stops
# them all) and may run beside the VM tests.
loop=""
list_cleanup() {
  local rc=$?
  [ -z "$loop" ] || losetup -d "$loop" 2>/dev/null || true
  rm -rf "$work"
  exit $rc
}
trap list_cleanup EXIT
PATH=$PATH:/usr/sbin:/sbin
cd "$work"

# Partitions are filled at their offsets: mkfs.btrfs cannot write at an offset, so its
# filesystem is made in a file and copied in.
truncate -s 160M gpt.img
printf 'label: gpt\nstart=2048, size=32M, name=linux\nstart=67584, size=120M, name=data\n' | sfdisk -q gpt.img
mkfs.ext4 -q -L gpt-ext4 -E offset=1048576 gpt.img 32M
truncate -s 120M part.btrfs
mkfs.btrfs -q -L gpt-btrfs part.btrfs >/dev/null
dd if=part.btrfs of=gpt.img bs=1M seek=33 conv=notrunc,sparse status=none
truncate -s 64M mbr.img
printf 'label: dos\nstart=2048, size=24M, type=83\nstart=51200, size=24M, type=c\n' | sfdisk -q mbr.img
mkfs.ext4 -q -L mbr-ext4 -E offset=1048576 mbr.img 24M
mkfs.vfat --offset=51200 -n MBR-FAT mbr.img 24576 >/dev/null 2>&1  # warns that the image is larger
make_ext4 whole.img whole 16M

out=$("$ALFS" list gpt.img mbr.img whole.img)
expect_eq "gpt.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:      GUID_partition_scheme                        +167.8 MB   gpt.img
   1:                       ext4 gpt-ext4                33.6 MB    gpt.img@s1
   2:                      btrfs gpt-btrfs               125.8 MB   gpt.img@s2

mbr.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:     FDisk_partition_scheme                        +67.1 MB    mbr.img
   1:                       ext4 mbr-ext4                25.2 MB    mbr.img@s1

whole.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                       ext4 whole                  +16.8 MB    whole.img" "$out" "table of three images, FAT hidden by default"

out=$("$ALFS" list -m mbr.img)
expect_eq "mbr.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:     FDisk_partition_scheme                        +67.1 MB    mbr.img
   2:                       vfat MBR-FAT                 25.2 MB    mbr.img@s2" "$out" "-m: Microsoft filesystems only"
out=$("$ALFS" list -l "$work/mbr.img" | sed "s|$work|WORK|g")
expect_eq "WORK/mbr.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:     FDisk_partition_scheme                        +67.1 MB    WORK/mbr.img
   1:                       ext4 mbr-ext4                25.2 MB    WORK/mbr.img@s1" "$out" "-l, absolute path: identifiers keep it"

# The identifiers are those mount accepts: mount names the same ones when it refuses a
# whole disk that holds partitions (before any VM).
for image in gpt.img mbr.img; do
  run_failing "$ALFS" mount "$image" "$work"
  for ident in $("$ALFS" list "$image" | awk '/^ +[1-9][0-9]*:/ {print $NF}'); do
    expect_contains "$out" "$ident (" "mount accepts $ident"
  done
done

json=$("$ALFS" list --json gpt.img whole.img)
expect_eq "gpt.img image raw gpt 167772160" "$(jq -r '.disks[0] | "\(.path) \(.kind) \(.format) \(.scheme) \(.size_bytes)"' <<<"$json")" "JSON disk"
expect_eq "1 ext4 gpt-ext4 33554432 gpt.img@s1
2 btrfs gpt-btrfs 125829120 gpt.img@s2" \
  "$(jq -r '.disks[0].volumes[] | "\(.index) \(.type) \(.name) \(.size_bytes) \(.identifier)"' <<<"$json")" "JSON partitions"
expect_eq "null 0 ext4 whole.img" "$(jq -r '.disks[1] | "\(.scheme) \(.volumes[0].index) \(.volumes[0].type) \(.volumes[0].identifier)"' <<<"$json")" "JSON whole-disk filesystem"

set +e
out=$("$ALFS" list gpt.img missing.img whole.img 2>&1)
rc=$?
set -e
[ $rc -ne 0 ] || fail "a missing disk must make list fail"
expect_contains "$out" "missing.img (disk image):
   error: cannot open missing.img: No such file or directory

whole.img (disk image):" "the missing disk is an error on that disk"
expect_contains "$out" "   2:                      btrfs gpt-btrfs               125.8 MB   gpt.img@s2" "the disk before it is listed"
expect_contains "$out" "   0:                       ext4 whole                  +16.8 MB    whole.img" "the disk after it is listed"
set +e
json=$("$ALFS" list --json missing.img)
rc=$?
set -e
[ $rc -ne 0 ] || fail "a missing disk must make list --json fail"
expect_eq "cannot open missing.img: No such file or directory" "$(jq -r '.disks[0].error' <<<"$json")" "JSON error"

# A loop device is listed among the host's disks as a disk image.
loop=$(losetup -f --show "$work/whole.img")
out=$("$ALFS" list || true)  # other disks of the host may be unreadable here
expect_contains "$out" "$loop (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                       ext4 whole                  +16.8 MB    $loop" "a loop device among the host's disks"
expect_eq "$work/whole.img" "$("$ALFS" list --json "$loop" | jq -r '.disks[0].backing_file')" "its backing file"
# A user may not open the loop device (root's, 0660): without named disks that is a row
# with its error, not a failed list (as the Rust tool's); a disk the user names still fails.
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
[ -z "$(find "$loop" -perm -o=r)" ] || fail "$loop is readable by others: nothing to test"
out=$(runuser -u "$user" -- "$ALFS" list 2>&1) || fail "list without arguments failed on a disk it found: $out"
expect_contains "$out" "$loop (disk image):
   error: cannot open $loop: Permission denied" "the unreadable disk is listed with its error, exit 0"
set +e
runuser -u "$user" -- "$ALFS" list "$loop" >/dev/null 2>&1
rc=$?
set -e
expect_eq 1 "$rc" "the same disk named: exit 1"
losetup -d "$loop"
loop=""
