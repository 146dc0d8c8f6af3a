#!/bin/bash
# log and dmesg show the current run's host log and guest console; log -f follows it
# until the instance ends.
. "$(dirname "$0")/lib.sh"
make_ext4 "$work/disk.img" alfs-e2e-log 64M
mkdir "$work/mnt"
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" log)" "ready: $work/disk.img on $work/mnt" "log shows the ready line"
expect_contains "$("$ALFS" dmesg)" "anylinuxfs-agent: ready" "dmesg shows the agent"
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
