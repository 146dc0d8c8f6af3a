#!/bin/bash
# shell: one command (its output, its exit status) or an interactive shell, in a VM
# with the disks attached as /dev/vda, /dev/vdb, ...
. "$(dirname "$0")/lib.sh"
truncate -s 64M "$work/a.img" "$work/b.img"

set +e
out=$("$ALFS" shell -c 'echo to-stdout; echo to-stderr >&2; exit 7' 2>"$work/err")
rc=$?
set -e
expect_eq 7 "$rc" "the command's exit status"
expect_eq to-stdout "$out" "stdout"
expect_contains "$(cat "$work/err")" "to-stderr" "stderr"

"$ALFS" shell -c 'mkfs.ext4 -q -L made-in-guest /dev/vdb && ls /dev/vda /dev/vdb' "$work/a.img" "$work/b.img" > "$work/out"
expect_eq "made-in-guest" "$(blkid -o value -s LABEL "$work/b.img")" "second disk is /dev/vdb, formatted in the guest"
expect_eq "" "$(blkid -o value -s TYPE "$work/a.img" || true)" "first disk untouched"

# parted, as the Rust tool's test suite uses it to partition its disks.
"$ALFS" shell -c 'parted -s /dev/vda mklabel gpt mkpart data ext4 1MiB 100% && mkfs.ext4 -q -L parted-p1 /dev/vda1' \
  "$work/a.img" >/dev/null
expect_eq "gpt" "$(blkid -o value -s PTTYPE "$work/a.img")" "parted in the guest writes a GPT"
expect_contains "$("$ALFS" list "$work/a.img")" "parted-p1" "the partition it made is listed"

mkdir "$work/mnt"
"$ALFS" "$work/b.img" "$work/mnt" >/dev/null
run_failing "$ALFS" shell -c true "$work/b.img"
expect_contains "$out" "is in use by another anylinuxfs instance (mounted at $work/mnt)" "a mounted disk is refused"
"$ALFS" unmount -w "$work/mnt" >/dev/null

# Interactive: a real terminal (tmux), a prompt, a command, exit.
session=alfs-e2e-shell-$$
test_cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; }
tmux new-session -d -s "$session" -x 120 -y 30 "ALFS_IMAGE_DIR='${ALFS_IMAGE_DIR:-}' '$ALFS' shell '$work/a.img'; echo shell-exited-\$?; sleep 30"
wait_screen() {  # text timeout
  for _ in $(seq $(( $2 * 4 ))); do
    tmux capture-pane -p -t "$session" | grep -q "$1" && return 0
    sleep 0.25
  done
  tmux capture-pane -p -t "$session"; fail "'$1' never appeared on the terminal"
}
wait_screen 'anylinuxfs:' 90
pass "interactive prompt"
tmux send-keys -t "$session" 'echo $((6 * 7))-answer; ls /dev/vda' Enter
wait_screen '42-answer' 30
pass "typed command runs in the guest"
tmux send-keys -t "$session" 'exit 5' Enter
wait_screen 'shell-exited-5' 60
pass "exit status of the interactive shell"
no_instances_left
