#!/bin/bash
# `sudo anylinuxfs` does not make its caller root: a user allowed only that command plants
# symlinks and crafted records in their ~/.anylinuxfs, names root's files as disks, key
# file and mount points, and root's file, directory, processes and mount stay as they were.
# Run ids are pids: the attacker's plants are made while the command is stopped before it
# starts, as a fast attacker would. (sudo is simulated: root with the variables sudo sets.)
. "$(dirname "$0")/lib.sh"
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
uid=$(id -u "$user"); gid=$(id -g "$user")
data=$home/.anylinuxfs
fuse_mode=$(stat -c %a /dev/fuse)
sudo_alfs=(env SUDO_USER="$user" SUDO_UID="$uid" SUDO_GID="$gid" "$ALFS")
as_user() { runuser -u "$user" -- "$@"; }
sleepers=
test_cleanup() {
  chmod "$fuse_mode" /dev/fuse
  "${sudo_alfs[@]}" stop -f >/dev/null 2>&1
  [ -z "$sleepers" ] || kill $sleepers 2>/dev/null
  umount "$work/victim-mnt" 2>/dev/null
  rm -rf "$data" "$home/mp-new" "$home/mnt-root"
}
chmod o+rw /dev/fuse  # the user's own FUSE mounts, as on a stock Debian (0666)
rm -rf "$data"
as_user mkdir -p "$data/logs" "$data/instances"

# What the attacks aim at: root's file, directory and mount.
victim=$work/victim
printf "# root's file\n" > "$victim"
chmod 600 "$victim"
victim_state() { stat -c '%U %a' "$victim"; md5sum < "$victim"; }
before=$(victim_state)
unchanged() { expect_eq "$before" "$(victim_state)" "$1: root's file keeps its owner, mode and content"; }
victim_dir=$work/victim-dir
mkdir "$victim_dir"
# The user's own disk.
make_ext4 "$work/user.img" alfs-e2e-attack 64M
chown "$user:" "$work/user.img"

# Runs `sudo anylinuxfs ARGS...` once `plant <pid>` (the attacker's step) has run: the
# command is stopped before it starts. Sets $out, $rc and $pid.
run_planted() {  # plant args...
  local plant=$1; shift
  SUDO_USER=$user SUDO_UID=$uid SUDO_GID=$gid sh -c 'kill -STOP $$; exec "$0" "$@"' "$ALFS" "$@" >"$work/out" 2>&1 &
  pid=$!
  local tries=0
  until [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = T ]; do
    tries=$((tries + 1)); [ $tries -lt 200 ] || fail "the command did not stop"; sleep 0.05
  done
  "$plant" "$pid"
  kill -CONT "$pid"
  set +e; timeout 300 tail --pid="$pid" -f /dev/null; wait "$pid"; rc=$?; set -e
  out=$(cat "$work/out")
}

# --- Symlinks in ~/.anylinuxfs to root's file or directory.
plant_log() { as_user ln -s "$victim" "$data/logs/$1.log"; }
run_planted plant_log "$work/user.img"
[ $rc -ne 0 ] || fail "a mount with its log symlinked to root's file went ahead"
expect_contains "$out" "$data/logs/$pid.log" "a symlinked host log: the mount stops naming it"
unchanged "a symlinked host log"

plant_tool_logs() {
  as_user ln -s "$victim" "$data/logs/shell-$1.log"
  as_user ln -s "$victim" "$data/logs/shell-$1.console.log"
}
run_planted plant_tool_logs shell -c true
[ $rc -ne 0 ] || fail "a shell VM with its logs symlinked to root's file went ahead"
unchanged "a symlinked shell log and console log"

plant_instance_dir() { as_user ln -s "$victim_dir" "$data/instances/$1"; }
run_planted plant_instance_dir "$work/user.img"
[ $rc -ne 0 ] || fail "a mount with its instance directory symlinked to root's went ahead"
expect_eq "" "$(ls -A "$victim_dir")" "a symlinked instance directory: nothing is written in root's directory"

# The logs directory itself: pruning would delete root's *.log files there.
for i in $(seq 1 12); do : > "$victim_dir/$i.log"; touch -d "-$i hours" "$victim_dir/$i.log"; done
as_user mv "$data/logs" "$data/logs.away"
as_user ln -s "$victim_dir" "$data/logs"
run_failing "${sudo_alfs[@]}" shell -c true
expect_eq 12 "$(ls "$victim_dir" | wc -l)" "a symlinked logs directory: root's logs are neither pruned nor added to"
rm -f "$victim_dir"/*.log
as_user rm "$data/logs"; as_user mv "$data/logs.away" "$data/logs"

as_user ln -s "$victim" "$data/config.toml"
run_failing "${sudo_alfs[@]}" config -n 2
expect_contains "$out" "cannot open $data/config.toml: Permission denied" "a symlinked config: refused"
unchanged "a symlinked config written by \`config -n\`"
as_user rm "$data/config.toml"

as_user ln -sfn "$victim" "$data/logs/latest.log"
as_user ln -sfn "$victim" "$data/logs/shadow.console.log"
as_user ln -sfn "$data/logs/shadow.console.log" "$data/logs/latest.console.log"
run_failing "${sudo_alfs[@]}" log
expect_contains "$out" "points outside the logs directory" "\`log\` follows latest.log only into the logs directory"
run_failing "${sudo_alfs[@]}" dmesg
expect_contains "$out" "Too many levels of symbolic links" "\`dmesg\` reads no symlink in the logs directory"
as_user rm "$data/logs/latest.log" "$data/logs/latest.console.log" "$data/logs/shadow.console.log"

as_user ln -s "$victim" "$data/ca-certificates.crt"
run_failing "${sudo_alfs[@]}" "$work/user.img"
expect_contains "$out" "cannot open $data/ca-certificates.crt: Permission denied" \
  "a CA bundle symlinked to root's file is read as the user: refused, not built into the guest"
as_user rm "$data/ca-certificates.crt"

# --- Paths the user names: disks, the key file, mount points, packages.
run_failing "${sudo_alfs[@]}" shell -c 'cat /dev/vda' "$victim"
expect_contains "$out" "root opens only block devices" "root's file as a shell's disk: refused"
case "$out" in *"root's file"*) fail "root's file was read through the shell VM" ;; esac
cp "$work/user.img" "$work/roots.img"; chmod 600 "$work/roots.img"
run_failing "${sudo_alfs[@]}" "$work/roots.img"
expect_contains "$out" "cannot open $work/roots.img: Permission denied" "root's image as a disk: refused"

# A LUKS header (all blkid needs to ask for the key) on the user's disk.
python3 - "$work/luks.img" <<'EOF'
import struct, sys
header = (b'LUKS\xba\xbe' + struct.pack('>H', 1) + b'aes'.ljust(32, b'\0') + b'xts-plain64'.ljust(32, b'\0') +
          b'sha256'.ljust(32, b'\0') + struct.pack('>II', 4096, 32) + bytes(52) + struct.pack('>I', 1000) +
          b'12345678-1234-1234-1234-123456789abc'.ljust(40, b'\0'))
open(sys.argv[1], 'wb').write(header.ljust(16 << 20, b'\0'))
EOF
chown "$user:" "$work/luks.img"
run_failing "${sudo_alfs[@]}" -k "$victim" "$work/luks.img"
expect_contains "$out" "key file: cannot open $victim: Permission denied" "root's file as the key file: refused"

run_failing "${sudo_alfs[@]}" "$work/user.img" "$victim_dir"
expect_contains "$out" "mount point $victim_dir is not yours" "root's directory as the mount point: refused"
run_failing "${sudo_alfs[@]}" "$work/user.img" "$victim_dir/new"
expect_contains "$out" "cannot create mount point $victim_dir/new" "a new mount point in root's directory: refused"
[ ! -e "$victim_dir/new" ] || fail "root made a mount point in its own directory for the user"
as_user ln -s "$victim_dir" "$home/mp-link"
run_failing "${sudo_alfs[@]}" "$work/user.img" "$home/mp-link"
expect_contains "$out" "is a symbolic link" "a symlink as the mount point: refused"
as_user rm "$home/mp-link"
grep -q " $victim_dir" /proc/self/mountinfo && fail "something was mounted on root's directory"

as_user sh -c "printf '[guest]\ncustom_packages = [\"/tmp/x.deb\"]\n' > '$data/config.toml'"
run_failing "${sudo_alfs[@]}" config
expect_contains "$out" "$data/config.toml:2: element 1 of guest.custom_packages is not a Debian package name (a name, not a .deb file): '/tmp/x.deb'" \
  "a .deb path in custom_packages: refused naming the file and line"
as_user rm "$data/config.toml"

# --- Crafted instance records: a "supervisor" and "VM" of root's, root's mount, a path as id.
mkdir "$work/victim-mnt"
mount -t tmpfs alfs-victim "$work/victim-mnt"
sleep 1000 & s1=$!
sleep 1000 & s2=$!
sleepers="$s1 $s2"
start_of() { awk '{ print $22 }' "/proc/$1/stat"; }
# Not `kill -0`: a sleeper killed is this shell's zombie until waited for.
running() { [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = S ]; }
plant_records() {
  as_user mkdir -p "$data/instances/900001" "$data/instances/900002"
  as_user tee "$data/instances/900001/instance.json" >/dev/null <<EOF
{"id": "900001", "disk": "x", "disk_path": "/x", "mount_point": "$work/victim-mnt", "fstype": "ext4",
 "read_only": false, "created_mount_point": true, "supervisor_pid": $s1, "supervisor_start": $(start_of $s1),
 "vm_pid": $s2, "vm_start": $(start_of $s2), "state": "ready", "nfs_port": 1, "mountd_port": 2,
 "log_file": "", "console_log": ""}
EOF
  as_user tee "$data/instances/900002/instance.json" >/dev/null <<EOF
{"id": "../../../../../../../../../../..$victim_dir", "disk": "y", "disk_path": "/y", "mount_point": "$victim_dir",
 "fstype": "ext4", "read_only": false, "created_mount_point": true, "supervisor_pid": 2147483000,
 "supervisor_start": 0, "vm_pid": 2147483001, "vm_start": 0, "state": "ready", "nfs_port": 1, "mountd_port": 2,
 "log_file": "", "console_log": ""}
EOF
}
for command in "unmount" "stop" "stop -f" "unmount $work/victim-mnt" "stop -f $work/victim-mnt" "status"; do
  plant_records
  set +e; timeout 120 "${sudo_alfs[@]}" $command >/dev/null 2>&1; set -e
  { running $s1 && running $s2; } || fail "$command: a crafted record got root's processes killed"
  mountpoint -q "$work/victim-mnt" || fail "$command: a crafted record got root's mount unmounted"
  [ -d "$victim_dir" ] || fail "$command: a crafted record got root's directory deleted"
  pass "crafted records and \`$command\`: root's processes, mount and directory stay"
done

# --- What the user may do still works: a mount point of their own making...
out=$("${sudo_alfs[@]}" "$work/user.img" "$home/mp-new")
expect_eq "$work/user.img mounted at $home/mp-new" "$out" "a new mount point in the user's home"
expect_contains "$(grep " $home/mp-new " /proc/self/mountinfo)" "user_id=$uid," "the user's own FUSE mount there"
"${sudo_alfs[@]}" unmount -w "$home/mp-new" >/dev/null
[ ! -e "$home/mp-new" ] || fail "the mount point made for the user is left"
pass "the mount point made for the user is removed"

# ...and where root presents the mount (no /dev/fuse for the user): /mnt/<label> only.
chmod 600 /dev/fuse
run_failing "${sudo_alfs[@]}" "$work/user.img" "$home/mnt-root"
expect_contains "$out" "no directory above it may be yours" "root presents: a mount point under the user's home is refused"
out=$("${sudo_alfs[@]}" "$work/user.img")
expect_eq "$work/user.img mounted at /mnt/alfs-e2e-attack" "$out" "root presents the default mount point"
vm=$(pgrep -f "anylinuxfs-[0-9]" | head -n1)
expect_eq "$user" "$(ps -o user= -p "$vm")" "root presents, QEMU still runs as the user"
"${sudo_alfs[@]}" unmount -w /mnt/alfs-e2e-attack >/dev/null
[ ! -e /mnt/alfs-e2e-attack ] || fail "root's mount point for the user is left"
pass "unmount of the mount root presents"
chmod "$fuse_mode" /dev/fuse
unchanged "all of it"
