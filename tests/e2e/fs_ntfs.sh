#!/bin/bash
# NTFS: ntfs-3g by default, the kernel's ntfs3 with -t ntfs3; Unicode names survive
# a round trip across both; a volume Windows left hibernated falls back to
# read-only with a warning the user sees.
. "$(dirname "$0")/lib.sh"
truncate -s 128M "$work/n.img"
mkdir "$work/mnt"
in_guest 'mkntfs -q -F -Q -L alfs-ntfs /dev/vda' "$work/n.img"
name1='Ünïcødé-日本語-ntfs3g.txt'
name2='Ελληνικά-ntfs3-😀.txt'

"$ALFS" "$work/n.img" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" status)" "(ntfs, rw," "ntfs-3g by default"
echo "by ntfs-3g" > "$work/mnt/$name1"
"$ALFS" unmount -w "$work/mnt" >/dev/null

"$ALFS" -t ntfs3 "$work/n.img" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" status)" "(ntfs3, rw," "-t ntfs3"
expect_eq "by ntfs-3g" "$(cat "$work/mnt/$name1")" "ntfs3 reads ntfs-3g's Unicode name"
echo "by ntfs3" > "$work/mnt/$name2"
"$ALFS" unmount -w "$work/mnt" >/dev/null

"$ALFS" "$work/n.img" "$work/mnt" >/dev/null
expect_eq "by ntfs3" "$(cat "$work/mnt/$name2")" "ntfs-3g reads ntfs3's Unicode name"
"$ALFS" unmount -w "$work/mnt" >/dev/null
in_guest 'ntfsfix -n /dev/vda' "$work/n.img" > "$work/fix.out"
expect_contains "$(cat "$work/fix.out")" "NTFS partition /dev/vda was processed successfully" "ntfsfix -n clean"

# Hibernated: ntfs-3g refuses to write a volume whose hiberfil.sys holds a hibernation image.
in_guest 'mkdir -p /tmp/n && ntfs-3g /dev/vda /tmp/n && { printf HIBR; head -c 8188 /dev/zero; } > /tmp/n/hiberfil.sys && umount /tmp/n' "$work/n.img"
err=$("$ALFS" "$work/n.img" "$work/mnt" 2>&1 >/dev/null)
expect_contains "$err" "anylinuxfs: warning:" "the user sees a warning"
expect_contains "$err" "read-only" "the warning says read-only"
expect_contains "$("$ALFS" status)" "(ntfs, ro," "status shows the read-only fallback"
set +e; werr=$(echo x 2>&1 > "$work/mnt/new.txt"); set -e
expect_contains "$werr" "Read-only file system" "writes refused after the fallback"
"$ALFS" unmount -w "$work/mnt" >/dev/null
no_instances_left
