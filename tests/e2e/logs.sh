#!/bin/bash
# log and dmesg show the current run's host log and guest console; log -f follows it
# until the instance ends. [vm] log_level sets what the host log keeps and the guest
# kernel's console level; -v raises it to debug.
. "$(dirname "$0")/lib.sh"
make_ext4 "$work/disk.img" alfs-e2e-log 64M
mkdir "$work/mnt"
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" log)" "ready: $work/disk.img on $work/mnt" "log shows the ready line"
expect_contains "$("$ALFS" dmesg)" "anylinuxfs-agent: ready" "dmesg shows the agent"
expect_contains "$("$ALFS" vm exec cat /proc/cmdline)" " quiet loglevel=4 " "log_level info: the kernel's console at 4, as ever"
"$ALFS" log -f > "$work/follow.log" &
follow=$!
"$ALFS" unmount -w "$work/mnt" >/dev/null
timeout 10 tail --pid="$follow" -f /dev/null || { kill "$follow"; fail "log -f did not end with its instance"; }
wait "$follow" || fail "log -f failed"
expect_contains "$(cat "$work/follow.log")" "the guest unmounted the filesystem cleanly" "log -f follows the run to its end"
expect_contains "$("$ALFS" dmesg)" "Linux version" "dmesg shows the kernel log"
expect_contains "$("$ALFS" dmesg)" "anylinuxfs-agent: filesystem unmounted" "dmesg shows the guest's clean unmount"
expect_contains "$("$ALFS" log)" "the guest unmounted the filesystem cleanly" "log records the clean shutdown"
timeout 10 "$ALFS" log -f >/dev/null || fail "log -f of a finished run must return"
pass "log -f returns once the instance has ended"

# Levels, with a config of this test's own.
export HOME=$work/home ALFS_SYSTEM_CONFIG=$work/system.toml
unset SUDO_USER  # this test's HOME (and config), even as root under sudo
mkdir -p "$HOME"
printf '[vm]\nlog_level = "error"\n' > "$ALFS_SYSTEM_CONFIG"
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" vm exec cat /proc/cmdline)" " loglevel=3 " "log_level error: the kernel's console at 3"
"$ALFS" unmount -w "$work/mnt" >/dev/null
log=$("$ALFS" log)
case $log in *"starting the VM"* | *"ready: "* | *"the guest unmounted"*) fail "log_level error: info lines kept: $log" ;; esac
pass "log_level error: the host log keeps no info line"
"$ALFS" -v "$work/disk.img" "$work/mnt" >/dev/null 2>"$work/verbose.err"
expect_contains "$(cat "$work/verbose.err")" "anylinuxfs: mounting $work/disk.img in the guest" "-v shows the progress"
expect_contains "$("$ALFS" log)" "NFS forwards on 127.0.0.1: nfs port " "-v raises the host log to debug"
expect_contains "$("$ALFS" log)" "ready: $work/disk.img on $work/mnt" "debug keeps the info lines"
expect_contains "$("$ALFS" vm exec cat /proc/cmdline)" " loglevel=7 " "-v: the kernel's console at 7"
"$ALFS" unmount -w "$work/mnt" >/dev/null
expect_eq 1 "$("$ALFS" dmesg | grep -c "] Linux version ")" "-v: dmesg has the kernel's lines once (the agent copies only what the console did not show)"
no_instances_left
