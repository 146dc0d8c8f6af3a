# Shared helpers of the end-to-end tests (sourced). Every test runs the real CLI.
set -euo pipefail
ALFS=${ALFS:?set ALFS to the anylinuxfs binary}
work=$(mktemp -d /var/tmp/alfs-e2e.XXXXXX)
chmod 755 "$work"

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "--- host log"; "$ALFS" log 2>&1 | tail -n 40 || true
    # The agent's lines, not the kernel's (both are stamped "[seconds] ").
    echo "--- guest console"; "$ALFS" dmesg 2>&1 | awk '!/^\[[ 0-9.]+\] / || /\] anylinuxfs-agent: /' | tail -n 30 || true
  fi
  "$ALFS" stop -f >/dev/null 2>&1 || true
  if declare -F test_cleanup >/dev/null; then test_cleanup || true; fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

expect_eq() {  # expected actual what
  [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
  pass "$3"
}

expect_contains() {  # haystack needle what
  case "$1" in *"$2"*) pass "$3" ;; *) fail "$3: '$2' not in: $1" ;; esac
}

# Runs a command that must fail within $RUN_TIMEOUT seconds (120); sets $out (stdout+stderr) and $rc.
run_failing() {
  set +e
  out=$(timeout "${RUN_TIMEOUT:-120}" "$@" 2>&1)
  rc=$?
  set -e
  [ $rc -ne 0 ] || fail "expected failure of: $* (output: $out)"
  [ $rc -ne 124 ] || fail "timed out: $*"
}

# A fresh ext4 image of `size` with `label`, holding the files of directory `seed` if given.
make_ext4() {  # path label size [seed-dir]
  truncate -s "$3" "$1"
  if [ -n "${4:-}" ]; then mkfs.ext4 -q -L "$2" -d "$4" "$1"; else mkfs.ext4 -q -L "$2" "$1"; fi
}

fsck_clean() {  # image
  e2fsck -fn "$1" >"$work/fsck.out" 2>&1 || { cat "$work/fsck.out"; fail "e2fsck -fn $1 is not clean"; }
  pass "e2fsck -fn clean"
}

# Owner and mode of a path in a guest image's root filesystem: "uid:gid mode".
rootfs_owner() {  # rootfs.img path
  local stat
  stat=$(debugfs -R "stat $2" "$1" 2>/dev/null)
  echo "$(sed -n 's/.*User: *\([0-9]*\) *Group: *\([0-9]*\).*/\1:\2/p' <<<"$stat") $(sed -n 's/.*Mode: *\([0-7]*\).*/\1/p' <<<"$stat")"
}

# Contents of a file inside an ext4 image, read by debugfs (no mount needed).
image_cat() { debugfs -R "cat $2" "$1" 2>/dev/null; }

# Our process (anylinuxfs or its QEMU) is alive and not a zombie (an orphan's zombie may
# linger where PID 1 does not reap). The name check matters: pid_max may be small
# (32768 here) and a pid is soon reused by another process.
alive() {
  local stat cmdline
  stat=$(cat "/proc/$1/stat" 2>/dev/null) && cmdline=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $stat != *") Z "* && $cmdline == *anylinuxfs* ]]
}

no_instances_left() {
  expect_eq "" "$("$ALFS" status)" "no instance left running"
  pgrep -f "anylinuxfs-[0-9]" >/dev/null && fail "a VM is still running" || pass "no VM left running"
}

# Runs a command in a guest with the given disks attached (to make test disks with
# the guest's own tools: the host has no device-mapper, and its mkfs may differ).
in_guest() {  # command disk...
  "$ALFS" shell -c "$1" "${@:2}" || fail "in the guest: $1"
}

# Mounts, writes a file, reads it back through the mount, unmounts with -w.
round_trip() {  # ident mount-point [mount args...]
  local ident=$1 mp=$2; shift 2
  "$ALFS" "$@" "$ident" "$mp" >/dev/null
  echo "round trip $ident $*" > "$mp/round-trip.txt"
  expect_eq "round trip $ident $*" "$(cat "$mp/round-trip.txt")" "write and read back: $ident $*"
  "$ALFS" unmount -w "$mp" >/dev/null
}
