#!/bin/bash
# Secrets stay secret: while a LUKS volume unlocked with ALFS_PASSPHRASE is mounted, the
# passphrase (and a host variable an action captures) is in no /proc/*/cmdline or
# /proc/*/environ (host or guest), not in `ps`, the guest kernel's command line, the
# console log or the instance log. Secrets live no longer than needed: once the mount
# is ready no process of ours holds the passphrase, its hex encoding or the captured
# value in its memory; under sudo neither does the root process left to clean up.
. "$(dirname "$0")/lib.sh"
export HOME=$work/home  # the user config of this test only
mkdir -p "$HOME/.anylinuxfs" "$work/mnt"
cat > "$HOME/.anylinuxfs/config.toml" <<'TOML'
[custom_actions.capture]
description = "takes a host variable into the guest"
after_mount = 'printf %s "${#ALFS_E2E_CAPTURED}" > "$ALFS_VM_MOUNT_POINT/captured-length"'
capture_environment = ["ALFS_E2E_CAPTURED"]
TOML
random() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
secret="alfs-secret-$(random)"
printf %s "$secret" > "$work/secret"        # the pattern for grep -F -f: never in an argv
captured="alfs-captured-$(random)"
printf %s "$captured" > "$work/captured"
# Every file in $work/patterns is one thing no process may hold.
mkdir "$work/patterns"
cp "$work/secret" "$work/patterns/passphrase"
printf %s "$secret" | od -An -tx1 | tr -d ' \n' > "$work/patterns/passphrase-hex"
cp "$work/captured" "$work/patterns/captured"
cp "$work/secret" "$work/key.img"           # the test disk is made with it as a key file disk
truncate -s 64M "$work/luks.img"
truncate -s 1M "$work/key.img"
in_guest "cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 /dev/vda --key-file=/dev/vdb --keyfile-size=${#secret} &&
  cryptsetup open /dev/vda c --key-file=/dev/vdb --keyfile-size=${#secret} && mkfs.ext4 -q -L secretfs /dev/mapper/c &&
  cryptsetup close c" "$work/luks.img" "$work/key.img" >/dev/null

# The memory of every process of ours (the supervisor, its log keepers, under sudo the
# root process that cleans up; not QEMU, which never had the secrets): each readable and
# writable region (heap, stacks, data) is searched for every pattern. Prints
# "<pid> <user> <pattern> <region>" per find; with --find-in PID TEXT also "found" when
# TEXT is in PID's memory (the scan's own check that it reads what it should).
memory_leaks() {
  python3 - "$(readlink -f "$ALFS")" "$work/patterns" "$@" <<'PY'
import os, pwd, sys
exe, patterns_dir, args = sys.argv[1], sys.argv[2], sys.argv[3:]
patterns = {name: open(os.path.join(patterns_dir, name), 'rb').read() for name in os.listdir(patterns_dir)}
check_pid, check_text = (args[1], args[2].encode()) if args[:1] == ['--find-in'] else (None, None)
def regions(pid):
    with open(f'/proc/{pid}/maps') as maps, open(f'/proc/{pid}/mem', 'rb', 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split('-'))
            if not fields[1].startswith('rw'):
                continue
            try:
                mem.seek(start)
                yield (fields[5] if len(fields) > 5 else 'anonymous'), mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                pass  # [vvar] and the like
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        if os.readlink(f'/proc/{pid}/exe') != exe:
            continue
        user = pwd.getpwuid(os.stat(f'/proc/{pid}').st_uid).pw_name
        for where, data in regions(pid):
            if pid == check_pid and check_text in data:
                print('found')
                check_pid = None
            for name, pattern in patterns.items():
                if pattern in data:
                    print(pid, user, name, where)
    except OSError:
        pass
PY
}

ALFS_PASSPHRASE=$(cat "$work/secret") ALFS_E2E_CAPTURED=$(cat "$work/captured") \
  "$ALFS" -a capture "$work/luks.img" "$work/mnt" >/dev/null 2>&1
echo "unlocked" > "$work/mnt/proof.txt"
expect_eq "unlocked" "$(cat "$work/mnt/proof.txt")" "mounted with the passphrase"
expect_eq "${#captured}" "$(cat "$work/mnt/captured-length")" "the action got the captured variable"

# Every process of the host but this scanner itself.
leaks=$(python3 - "$work/patterns" <<'PY'
import os, sys
patterns = [open(os.path.join(sys.argv[1], name), 'rb').read() for name in ('passphrase', 'captured')]
me = str(os.getpid())
for pid in filter(str.isdigit, os.listdir('/proc')):
    if pid == me:
        continue
    for what in ('cmdline', 'environ'):
        try:
            data = open(f'/proc/{pid}/{what}', 'rb').read()
            if any(p in data for p in patterns):
                print(f'/proc/{pid}/{what}')
        except OSError:
            pass
PY
)
expect_eq "" "$leaks" "no host process has the passphrase or the captured value in its cmdline or environ"

supervisor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["supervisor_pid"])' "$HOME"/.anylinuxfs/instances/*/instance.json)
scan=$(memory_leaks --find-in "$supervisor" "$work/mnt")
expect_contains "$scan" "found" "the memory scan reads the supervisor's (it finds the mount point there)"
expect_eq "found" "$scan" "no process of ours holds the passphrase, its hex or the captured value in memory"
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

# Under sudo (simulated: root with the variables sudo sets) the instance runs as the user
# in a child of a root process that stays to clean up.
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
uid=$(id -u "$user"); gid=$(id -g "$user")
user_home=$(getent passwd "$user" | cut -d: -f6)
as_sudo() { env SUDO_USER="$user" SUDO_UID="$uid" SUDO_GID="$gid" "$@"; }
fuse_mode=$(stat -c %a /dev/fuse)
test_cleanup() { chmod "$fuse_mode" /dev/fuse; as_sudo "$ALFS" stop -f >/dev/null 2>&1; }
chmod o+rw /dev/fuse  # as on a stock Debian (0666); some containers make it 0600
chown "$uid:$gid" "$work/luks.img"  # an image must be the user's under sudo
ALFS_PASSPHRASE=$(cat "$work/secret") as_sudo "$ALFS" "$work/luks.img" >/dev/null 2>&1
read -r supervisor mp < <(python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); print(r["supervisor_pid"], r["mount_point"])' "$user_home"/.anylinuxfs/instances/*/instance.json)
expect_eq "$user" "$(ps -o user= -p "$supervisor" | tr -d ' ')" "under sudo the supervisor runs as the user"
cleaner=$(ps -o ppid= -p "$supervisor" | tr -d ' ')
expect_eq "root $(readlink -f "$ALFS")" "$(ps -o user= -p "$cleaner" | tr -d ' ') $(readlink -f "/proc/$cleaner/exe")" \
  "its parent is ours, root, left to clean up"
scan=$(memory_leaks --find-in "$cleaner" "$mp")
expect_contains "$scan" "found" "the memory scan reads the root process's (it finds the mount point there)"
expect_eq "found" "$scan" "under sudo neither the root process nor the user's hold the passphrase or its hex in memory"
as_sudo "$ALFS" unmount -w "$mp" >/dev/null
no_instances_left
