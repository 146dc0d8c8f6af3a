#!/bin/bash
# LUKS2 and LUKS1: ALFS_PASSPHRASE, the interactive prompt (no echo), -k and
# ALFS_KEY_FILE, several encrypted disks with ALFS_PASSPHRASE1/2; a wrong
# passphrase is a clear error that leaves nothing running.
. "$(dirname "$0")/lib.sh"
mkdir "$work/mnt"
pass='correct horse battery'
truncate -s 128M "$work/luks2.img" "$work/luks1.img"
truncate -s 160M "$work/a.img" "$work/b.img"
printf 'key-file-bytes\n\0binary' > "$work/keyfile"
in_guest "printf %s '$pass' > /tmp/p && cp /dev/null /tmp/k && printf 'key-file-bytes\n\0binary' > /tmp/k &&
  cryptsetup luksFormat -q --type luks2 /dev/vda --key-file=/tmp/p && cryptsetup luksAddKey /dev/vda /tmp/k --key-file=/tmp/p &&
  cryptsetup open /dev/vda c2 --key-file=/tmp/p && mkfs.ext4 -q -L in-luks2 /dev/mapper/c2 && cryptsetup close c2 &&
  cryptsetup luksFormat -q --type luks1 /dev/vdb --key-file=/tmp/p &&
  cryptsetup open /dev/vdb c1 --key-file=/tmp/p && mkfs.ext4 -q -L in-luks1 /dev/mapper/c1 && cryptsetup close c1 &&
  printf one > /tmp/p1 && printf two > /tmp/p2 &&
  cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 /dev/vdc --key-file=/tmp/p1 && cryptsetup open /dev/vdc ca --key-file=/tmp/p1 &&
  cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 /dev/vdd --key-file=/tmp/p2 && cryptsetup open /dev/vdd cb --key-file=/tmp/p2 &&
  mkfs.btrfs -q -d raid1 -m raid1 -L two-luks /dev/mapper/ca /dev/mapper/cb && cryptsetup close ca && cryptsetup close cb" \
  "$work/luks2.img" "$work/luks1.img" "$work/a.img" "$work/b.img"

err=$(ALFS_PASSPHRASE="$pass" "$ALFS" "$work/luks2.img" "$work/mnt" 2>&1 >/dev/null)
expect_contains "$err" "raising the VM's RAM from 512 to 2560 MiB" "LUKS raises the guest RAM with a warning"
expect_contains "$("$ALFS" status)" "(ext4, rw," "LUKS2 unlocked with ALFS_PASSPHRASE: ext4 inside"
echo secret-data > "$work/mnt/s.txt"
"$ALFS" unmount -w "$work/mnt" >/dev/null
grep -a -q secret-data "$work/luks2.img" && fail "plaintext on the encrypted disk"
pass "the data is encrypted on disk"

ALFS_PASSPHRASE="$pass" round_trip "$work/luks1.img" "$work/mnt"
"$ALFS" -k "$work/keyfile" "$work/luks2.img" "$work/mnt" >/dev/null 2>&1
expect_eq secret-data "$(cat "$work/mnt/s.txt")" "-k key file unlocks"
"$ALFS" unmount -w "$work/mnt" >/dev/null
ALFS_KEY_FILE="$work/keyfile" round_trip "$work/luks2.img" "$work/mnt"
ALFS_PASSPHRASE1=one ALFS_PASSPHRASE2=two round_trip "$work/a.img:$work/b.img" "$work/mnt"

start=$(date +%s)
set +e; out=$(ALFS_PASSPHRASE=wrong "$ALFS" "$work/luks2.img" "$work/mnt" 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "a wrong passphrase mounted"
expect_contains "$out" "the guest failed at step 'unlock': /dev/vda: No key available with this passphrase" "wrong passphrase"
[ $(( $(date +%s) - start )) -le 60 ] || fail "wrong passphrase took over 60 s"
mountpoint -q "$work/mnt" && fail "left mounted"
no_instances_left

# The prompt: on the terminal, without echo.
session=alfs-e2e-luks-$$
test_cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; }
tmux new-session -d -s "$session" -x 150 -y 20 "ALFS_IMAGE_DIR='${ALFS_IMAGE_DIR:-}' '$ALFS' '$work/luks2.img' '$work/mnt'; echo mount-exited-\$?; sleep 60"
# The drive on one line, then the Rust tool's "Enter passphrase:" (what scripts expect).
prompted() { tmux capture-pane -p -t "$session" | grep -A1 -x "Passphrase for $work/luks2.img\." | grep -qx "Enter passphrase: *"; }
for _ in $(seq 120); do prompted && break; sleep 0.25; done
prompted || fail "no prompt: $(tmux capture-pane -p -t "$session")"
tmux send-keys -t "$session" "$pass" Enter
for _ in $(seq 240); do tmux capture-pane -p -t "$session" | grep -q "mount-exited-" && break; sleep 0.25; done
screen=$(tmux capture-pane -p -t "$session")
expect_contains "$screen" "mount-exited-0" "mounted with the typed passphrase"
case "$screen" in *"$pass"*) fail "the passphrase was echoed" ;; esac
pass "the passphrase was not echoed"
expect_eq secret-data "$(cat "$work/mnt/s.txt")" "prompted mount shows the data"
"$ALFS" unmount -w "$work/mnt" >/dev/null
in_guest "printf %s '$pass' | cryptsetup open /dev/vda c --key-file=- && e2fsck -fn /dev/mapper/c >/dev/null 2>&1" "$work/luks2.img"
pass "e2fsck clean inside LUKS2"
no_instances_left
