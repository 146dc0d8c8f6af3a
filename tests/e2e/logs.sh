#!/bin/bash
# log and dmesg show the current run's host log and guest console.
. "$(dirname "$0")/lib.sh"
make_ext4 "$work/disk.img" alfs-e2e-log 64M
mkdir "$work/mnt"
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" log)" "ready: $work/disk.img on $work/mnt" "log shows the ready line"
expect_contains "$("$ALFS" dmesg)" "anylinuxfs-agent: ready" "dmesg shows the agent"
"$ALFS" unmount -w "$work/mnt" >/dev/null
expect_contains "$("$ALFS" dmesg)" "Linux version" "dmesg shows the kernel log"
expect_contains "$("$ALFS" dmesg)" "anylinuxfs-agent: filesystem unmounted" "dmesg shows the guest's clean unmount"
expect_contains "$("$ALFS" log)" "the guest unmounted the filesystem cleanly" "log records the clean shutdown"
timeout 10 "$ALFS" log -f >/dev/null || fail "log -f of a finished run must return"
pass "log -f returns once the instance has ended"
