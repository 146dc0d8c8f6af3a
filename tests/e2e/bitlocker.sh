#!/bin/bash
# BitLocker volumes made on Windows (shared/fixtures/bitlocker): unlocked in the
# guest with the password and with the recovery key; a wrong one is refused. The
# fixtures hold no usable filesystem, so the test writes an NTFS inside the
# unlocked volume first (in the guest), then mounts it through anylinuxfs.
. "$(dirname "$0")/lib.sh"
# Beside the repository (../shared), wherever the clone is; ALFS_FIXTURES overrides.
fixtures=${ALFS_FIXTURES:-$(dirname "$0")/../../../shared/fixtures}/bitlocker
[ -d "$fixtures" ] || fixtures=/work/shared/fixtures/bitlocker
[ -f "$fixtures/images.conf" ] || fail "the BitLocker fixtures are not at $fixtures (set ALFS_FIXTURES)"
fixtures=$(cd "$fixtures" && pwd)
conf="$fixtures/images.conf"
value() { sed -n "/^\[$1\]/,/^\$/s/^$2=//p" "$conf"; }
image=bitlk-aes-xts-128
password=$(value $image PW)
recovery=$(value $image RP)
[ -n "$password" ] && [ -n "$recovery" ] || fail "no password or recovery key for $image in $conf"
tar -xJf "$fixtures/bitlk-images.tar.xz" -C "$work" "bitlk-images/$image.img"
disk="$work/bitlk-images/$image.img"
expect_eq BitLocker "$(blkid -o value -s TYPE "$disk")" "the fixture is a BitLocker volume"
mkdir "$work/mnt"

in_guest "printf %s '$password' | cryptsetup open --type bitlk /dev/vda bl --key-file=- && mkntfs -q -F -Q -L on-bitlocker /dev/mapper/bl && cryptsetup close bl" "$disk"

ALFS_PASSPHRASE="$password" "$ALFS" "$disk" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" status)" "(ntfs, rw," "unlocked with the password: NTFS inside"
echo "written inside BitLocker" > "$work/mnt/inside.txt"
"$ALFS" unmount -w "$work/mnt" >/dev/null
grep -a -q "written inside BitLocker" "$disk" && fail "plaintext on the encrypted volume"

ALFS_PASSPHRASE="$recovery" "$ALFS" "$disk" "$work/mnt" >/dev/null
expect_eq "written inside BitLocker" "$(cat "$work/mnt/inside.txt")" "unlocked with the recovery key, data read back"
"$ALFS" unmount -w "$work/mnt" >/dev/null

set +e; out=$(ALFS_PASSPHRASE=not-the-password "$ALFS" "$disk" "$work/mnt" 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "a wrong password mounted"
expect_contains "$out" "the guest failed at step 'unlock'" "a wrong password is refused at unlock"
no_instances_left
in_guest "printf %s '$password' | cryptsetup open --type bitlk /dev/vda bl --key-file=- && ntfsfix -n /dev/mapper/bl" "$disk" > "$work/fix.out"
expect_contains "$(cat "$work/fix.out")" "processed successfully" "ntfsfix -n clean inside BitLocker"
