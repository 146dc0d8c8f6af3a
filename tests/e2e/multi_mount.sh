#!/bin/bash
# Several instances at once: two images with the same label get /mnt/<label> and
# /mnt/<label>-1, each with its own VM and ports; `vm exec` and `vm attach` reach the
# right guest; unmounting one leaves the other working.
. "$(dirname "$0")/lib.sh"
label=alfs-e2e-twin
make_ext4 "$work/a.img" $label 64M
make_ext4 "$work/b.img" $label 64M
test_cleanup() { rmdir "/mnt/$label" "/mnt/$label-1" 2>/dev/null || true; }

expect_eq "$work/a.img mounted at /mnt/$label" "$("$ALFS" "$work/a.img")" "first at /mnt/<label>"
expect_eq "$work/b.img mounted at /mnt/$label-1" "$("$ALFS" "$work/b.img")" "second at /mnt/<label>-1"
a=/mnt/$label b=/mnt/$label-1
echo "in a" > "$a/which.txt"
echo "in b" > "$b/which.txt"
expect_eq "in a" "$(cat "$a/which.txt")" "a reads its own file"
expect_eq "in b" "$(cat "$b/which.txt")" "b reads its own file"

status=$("$ALFS" status)
expect_eq 2 "$(echo "$status" | wc -l)" "status shows both"
expect_contains "$status" "$work/a.img on $a (ext4, rw, vm pid" "status line of a"
expect_contains "$status" "$work/b.img on $b (ext4, rw, vm pid" "status line of b"
ports=$("$ALFS" status --json | python3 -c 'import json,sys
for r in json.load(sys.stdin)["instances"]: print(r["nfs_port"]); print(r["mountd_port"])' | sort -u | wc -l)
expect_eq 4 "$ports" "each instance has its own two ports"

# vm exec: the guest's view of the right disk, the command's exit status and stderr.
expect_eq "in b" "$("$ALFS" vm exec -t "$b" cat /mnt/disk/which.txt)" "vm exec -t reaches b's guest"
expect_eq "in b" "$("$ALFS" vm exec -t "$b" -- sh -c 'cat /mnt/disk/which.txt')" "vm exec -- takes the command's own options"
set +e
"$ALFS" vm exec -t "$a" ls /mnt/disk/missing >"$work/exec.out" 2>"$work/exec.err"
rc=$?
set -e
expect_eq 2 "$rc" "vm exec returns the command's exit status"
expect_contains "$(cat "$work/exec.err")" "No such file or directory" "vm exec passes the command's stderr"
run_failing "$ALFS" vm exec uname -r
expect_contains "$out" "2 instances are running; choose one with -t" "vm exec without -t asks which"
expect_contains "$out" "$b ($work/b.img)" "and names them"
out=$(printf 'cat /mnt/disk/which.txt\nexit 3\n' | "$ALFS" vm attach -t "$a") && rc=0 || rc=$?
expect_eq 3 "$rc" "vm attach: the shell's exit status"
expect_contains "$out" "in a" "vm attach: a shell in a's guest"

# A command the user left running in the guest does not keep the unmount from being clean.
"$ALFS" vm exec -t "$a" sh -c 'cd /mnt/disk && sleep 600 >/dev/null 2>&1 &'
"$ALFS" unmount -w "$a" >/dev/null
expect_eq 1 "$("$ALFS" status | wc -l)" "one instance left"
echo "still b" > "$b/later.txt"
expect_eq "still b" "$(cat "$b/later.txt")" "b still works after a's unmount"
"$ALFS" unmount -w "$b" >/dev/null
no_instances_left
fsck_clean "$work/a.img"
fsck_clean "$work/b.img"
expect_eq "in a" "$(image_cat "$work/a.img" /which.txt)" "a's file is in a.img"
expect_eq "still b" "$(image_cat "$work/b.img" /later.txt)" "b's files are in b.img"
