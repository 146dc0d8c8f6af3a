#!/bin/bash
# Secrets stay secret: while a LUKS volume unlocked with ALFS_PASSPHRASE is mounted, the
# passphrase is in no /proc/*/cmdline or /proc/*/environ (host or guest), not in `ps`,
# the guest kernel's command line, the console log or the instance log.
. "$(dirname "$0")/lib.sh"
mkdir "$work/mnt"
secret="alfs-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf %s "$secret" > "$work/secret"        # the pattern for grep -F -f: never in an argv
cp "$work/secret" "$work/key.img"           # the test disk is made with it as a key file disk
truncate -s 64M "$work/luks.img"
truncate -s 1M "$work/key.img"
in_guest "cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 /dev/vda --key-file=/dev/vdb --keyfile-size=${#secret} &&
  cryptsetup open /dev/vda c --key-file=/dev/vdb --keyfile-size=${#secret} && mkfs.ext4 -q -L secretfs /dev/mapper/c &&
  cryptsetup close c" "$work/luks.img" "$work/key.img" >/dev/null

ALFS_PASSPHRASE=$(cat "$work/secret") "$ALFS" "$work/luks.img" "$work/mnt" >/dev/null 2>&1
echo "unlocked" > "$work/mnt/proof.txt"
expect_eq "unlocked" "$(cat "$work/mnt/proof.txt")" "mounted with the passphrase"

# Every process of the host but this scanner itself.
leaks=$(python3 - "$work/secret" <<'PY'
import os, sys
secret = open(sys.argv[1], 'rb').read()
me = str(os.getpid())
for pid in filter(str.isdigit, os.listdir('/proc')):
    if pid == me:
        continue
    for what in ('cmdline', 'environ'):
        try:
            if secret in open(f'/proc/{pid}/{what}', 'rb').read():
                print(f'/proc/{pid}/{what}')
        except OSError:
            pass
PY
)
expect_eq "" "$leaks" "no host process has it in its cmdline or environ"
ps auxeww > "$work/ps.out"
grep -F -q -f "$work/secret" "$work/ps.out" && fail "ps shows the passphrase"
pass "ps (with environments) does not show it"
"$ALFS" vm exec sh -c 'cat /proc/cmdline; for p in /proc/[0-9]*; do cat $p/cmdline $p/environ; done 2>/dev/null; true' > "$work/guest.out"
[ -s "$work/guest.out" ] || fail "nothing read in the guest"
grep -F -q -f "$work/secret" "$work/guest.out" && fail "the guest's kernel command line or a guest process shows it"
pass "nor the guest's kernel command line and processes"

"$ALFS" unmount -w "$work/mnt" >/dev/null
for log in "$HOME"/.anylinuxfs/logs/latest.log "$HOME"/.anylinuxfs/logs/latest.console.log; do
  [ -s "$log" ] || fail "$log is empty"
  grep -F -q -f "$work/secret" "$log" && fail "$log has the passphrase"
done
pass "nor the instance log and the console log"
no_instances_left
