#!/bin/bash
# anylinuxfs beside its peers on one freshly made image: the host kernel's loop mount
# (the physical limit), fuse2fs (ext4 only) and guestmount (libguestfs, forced to TCG
# like our VM here; guestmount_bw: the same with -o big_writes, its users' usual tuning).
# ours_booted: anylinuxfs with [vm] instant_mount = false (every mount boots the guest).
# Medians of N rounds, one table, bench/results/peers-<fs>.json.
# What each metric is and how to read the ratios: bench/README.md.
# Usage: sudo bench/peers.sh [--fs ext4|xfs|btrfs] [--rounds N] [--size MiB]
#                            [--only ours,ours_booted,native,fuse2fs,guestmount,guestmount_bw]
# ALFS names the anylinuxfs binary (default: build/bin/anylinuxfs).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

usage() { sed -n 's/^# \{0,1\}//; /^Usage:/,/^ALFS/p' "$0" >&2; exit 2; }
fs=ext4 rounds=3 size=200 only=ours,ours_booted,native,fuse2fs,guestmount,guestmount_bw
while [ $# -gt 0 ]; do
  case $1 in
    --fs) fs=${2:-}; shift 2 || usage ;;
    --rounds) rounds=${2:-}; shift 2 || usage ;;
    --size) size=${2:-}; shift 2 || usage ;;
    --only) only=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
case $fs in ext4 | xfs | btrfs) ;; *) usage ;; esac
[[ $rounds =~ ^[1-9][0-9]*$ && $size =~ ^[1-9][0-9]*$ ]] || usage

die() { echo "peers: $*" >&2; exit 1; }
declare -A skipped=()
ways=()
for way in ours ours_booted native fuse2fs guestmount guestmount_bw; do
  [[ ,$only, == *,$way,* ]] || continue
  if [ "$way" = fuse2fs ] && [ "$fs" != ext4 ]; then
    skipped[fuse2fs]="ext4 only"
  else
    ways+=("$way")
  fi
done
for way in ${only//,/ }; do
  [[ $way =~ ^(ours|ours_booted|native|fuse2fs|guestmount|guestmount_bw)$ ]] || die "--only: unknown way '$way'"
done
[ ${#ways[@]} -gt 0 ] || die "--only leaves nothing to measure"
has() { [[ " ${ways[*]} " == *" $1 "* ]]; }

[ "$(id -u)" = 0 ] || die "needs root (loop mounts, dropping the page cache): sudo $0"
scripts/install-deps.sh --bench >&2

small_files=2000
# The small-file rows: files of 1 KiB, made by one process, copied as a tree of 100
# directories (held in /dev/shm, like the payload) and removed.
create_files=2000 copy_dirs=100 copy_files=20
copy_total=$((copy_dirs * copy_files))
tree_dirs=100 tree_files=99 # 100 directories of 99 files: 10,000 entries for ls -lR
tree_entries=$((tree_dirs * (tree_files + 1)))
# Limits per step, in seconds: generous for TCG on a busy 2-core machine, yet a hang
# ends the run. The first VM boot may also build the guest image or libguestfs's appliance.
# timeout --foreground everywhere: a Ctrl-C then reaches the step, not only this script.
t_first=900 t_mount=300 t_unmount=300 t_io=$((600 + size * 2)) t_meta=1800 t_check=600

alfs=${ALFS:-$repo/build/bin/anylinuxfs}
if has ours || has ours_booted; then [ -x "$alfs" ] || die "$alfs not found: build first (scripts/build.sh) or set ALFS"; fi
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg

# Under sudo our instance (its FUSE mount) belongs to the user who ran sudo, and root
# does not see into it: the workload through it runs as that user.
owner=root
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then owner=$SUDO_USER; fi
as_user() { # WAY CMD...: CMD as whoever can see into WAY's mount
  local way=$1; shift
  if [[ $way == ours* ]] && [ "$owner" != root ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

work='' payload='' source_tree=''

unmount_way() { # WAY TIMEOUT: returns once the image is written and released
  local way=$1 t=$2 m=$work/mnt-$1 pid
  case $way in
    ours | ours_booted) timeout --foreground "$t" "$alfs" unmount -w "$m" >>"$work/ours.log" ;;
    native) timeout --foreground "$t" umount "$m" ;;
    # Both FUSE daemons still write the image after the unmount: wait until they exit.
    fuse2fs) pid=$(pgrep -x -f "fuse2fs $img $m") && timeout --foreground "$t" umount "$m" && wait_exit "$pid" "$t" ;;
    guestmount | guestmount_bw) pid=$(cat "$work/$way.pid") && timeout --foreground "$t" guestunmount -q "$m" && wait_exit "$pid" "$t" ;;
  esac
}

# From the mount table: stat(2), as in mountpoint(1), fails on a FUSE mount whose
# daemon lost its backend (a Ctrl-C reaches libguestfs's QEMU, in our process group).
mounted() { awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo; }

cleanup() {
  set +e
  local way m
  for way in "${ways[@]}"; do
    m=$work/mnt-$way
    if [[ $way == ours* ]]; then
      # Only our own instance, by its mount point: other instances may be running.
      mounted "$m" || continue
      unmount_way "$way" 120 2>/dev/null || timeout --foreground 60 "$alfs" stop -f "$m" >/dev/null 2>&1
    elif mounted "$m"; then
      unmount_way "$way" 120 || umount -l "$m"
    fi
  done
  rm -rf --one-file-system ${work:+"$work"} ${payload:+"$payload"} ${source_tree:+"$source_tree"}
}
trap cleanup EXIT
trap 'exit 130' INT TERM
work=$(mktemp -d /var/tmp/alfs-bench.XXXXXX)
chmod 755 "$work"
img=$work/disk.img
# The written data is random (no shortcut for zeros anywhere) and lives in tmpfs,
# so dropping the page cache never makes the writer read it from disk.
payload=$(mktemp /dev/shm/alfs-bench.XXXXXX)
chmod 644 "$payload"
source_tree=$(mktemp -d /dev/shm/alfs-bench-tree.XXXXXX)
chmod 755 "$source_tree"

wait_exit() { # PID TIMEOUT: the process (not our child) has exited
  local pid=$1 deadline=$((${EPOCHREALTIME%.*} + $2))
  while kill -0 "$pid" 2>/dev/null; do
    [ "${EPOCHREALTIME%.*}" -lt "$deadline" ] || return 124
    sleep 0.02
  done
}

mount_way() { # WAY TIMEOUT: returns once the files are readable
  local way=$1 t=$2 m=$work/mnt-$1
  case $way in
    ours) timeout --foreground "$t" "$alfs" mount "$img" "$m" >>"$work/ours.log" ;;
    ours_booted) ALFS_SYSTEM_CONFIG=$work/booted.toml timeout --foreground "$t" "$alfs" mount "$img" "$m" >>"$work/ours.log" ;;
    native) timeout --foreground "$t" mount -o loop "$img" "$m" ;;
    fuse2fs) timeout --foreground "$t" fuse2fs "$img" "$m" ;; # it daemonizes once mounted
    guestmount) timeout --foreground "$t" guestmount --format=raw -a "$img" -m /dev/sda --rw --pid-file "$work/$way.pid" "$m" ;;
    guestmount_bw) timeout --foreground "$t" guestmount --format=raw -a "$img" -m /dev/sda --rw -o big_writes --pid-file "$work/$way.pid" "$m" ;;
  esac
}

check_image() { # WHEN: the filesystem's own checker finds the image clean
  local rc=0
  case $fs in
    ext4) timeout --foreground "$t_check" e2fsck -fn "$img" >"$work/check.log" 2>&1 || rc=$? ;;
    xfs) timeout --foreground "$t_check" xfs_repair -n -f "$img" >"$work/check.log" 2>&1 || rc=$? ;;
    btrfs) timeout --foreground "$t_check" btrfs check --readonly "$img" >"$work/check.log" 2>&1 || rc=$? ;;
  esac
  [ "$rc" = 0 ] || { tail -n 20 "$work/check.log" >&2; die "the image is not clean $1 (checker exit $rc)"; }
}

drop_caches() { timeout --foreground "$t_io" sync && echo 3 >/proc/sys/vm/drop_caches; }

elapsed=0
timed() { # WAY STEP CMD...: runs CMD (which applies its own timeout), sets $elapsed
  local way=$1 step=$2 t0 rc=0; shift 2
  t0=$EPOCHREALTIME
  "$@" || rc=$?
  [ "$rc" = 0 ] || die "$way: $step $([ "$rc" = 124 ] && echo "timed out" || echo "failed (exit $rc)")"
  elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }')
}
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$work/samples.tsv"; }
per_sec() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", n / s }'; }
mb=$(awk -v s="$size" 'BEGIN { print s * 1048576 / 1000000 }') # dd's MB: 10^6 bytes

# The workload, each a single command under its own timeout, as whoever sees into WAY.
write_seq() { as_user "$1" timeout --foreground "$t_io" dd if="$payload" of="$work/mnt-$1/seq" bs=1M conv=fsync status=none; }
read_seq() { as_user "$1" timeout --foreground "$t_io" dd if="$work/mnt-$1/seq" of=/dev/null bs=1M status=none; }
list_tree() { as_user "$1" timeout --foreground "$t_meta" ls -lR "$work/mnt-$1/tree"; }
small_files() { # WAY: files of 4 KiB, each fsynced before the next is made
  # shellcheck disable=SC2016 # the single quotes hold perl
  as_user "$1" timeout --foreground "$t_meta" perl -MIO::Handle -e '
    my ($dir, $n) = @ARGV; my $data = "x" x 4096;
    mkdir $dir or die "$dir: $!\n";
    for my $i (1 .. $n) {
      open(my $fh, ">", "$dir/f$i") or die "$dir/f$i: $!\n";
      print $fh $data or die "$dir/f$i: $!\n";
      $fh->flush; $fh->sync or die "fsync $dir/f$i: $!\n";
      close $fh or die "$dir/f$i: $!\n";
    }' "$work/mnt-$1/small" "$small_files"
}

# sync(1) is inside the time of the next three: what users run to know the files are on
# the disk, and what a writeback cache must not dodge.
create_small() { # WAY: files of 1 KiB made by one process, then sync
  # shellcheck disable=SC2016 # the single quotes hold perl
  as_user "$1" timeout --foreground "$t_meta" perl -e '
    my ($dir, $n) = @ARGV; my $data = "x" x 1024;
    mkdir $dir or die "$dir: $!\n";
    for my $i (1 .. $n) {
      open(my $fh, ">", "$dir/f$i") or die "$dir/f$i: $!\n";
      print $fh $data or die "$dir/f$i: $!\n";
      close $fh or die "$dir/f$i: $!\n";
    }' "$work/mnt-$1/create" "$create_files" && as_user "$1" timeout --foreground "$t_meta" sync
}
copy_tree() { # WAY
  as_user "$1" timeout --foreground "$t_meta" cp -r "$source_tree/copy" "$work/mnt-$1/copy" &&
    as_user "$1" timeout --foreground "$t_meta" sync
}
copy_out() { # WAY: the created files, copied out of the mount into /dev/shm
  local out=$source_tree/out-$1
  rm -rf "$out" && mkdir "$out" && { [ "$(as_user "$1" id -u)" = 0 ] || chown "$owner" "$out"; } &&
    as_user "$1" timeout --foreground "$t_meta" cp -r "$work/mnt-$1/create" "$out/"
}
remove_tree() { # WAY
  as_user "$1" timeout --foreground "$t_meta" rm -r "$work/mnt-$1/copy" && as_user "$1" timeout --foreground "$t_meta" sync
}

expect_count() { # WAY WHAT GOT WANT
  [ "$3" = "$4" ] || die "$1: $2: $3 instead of $4"
}

memory_of_ours() { # MOUNT_POINT: after the workload, the supervisor's peak RSS and what the guest uses
  local pid used
  pid=$(timeout --foreground 60 "$alfs" status --json | jq -r --arg mp "$1" '.instances[] | select(.mount_point == $mp) | .supervisor_pid')
  record ours supervisor_rss "$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")"
  # MemTotal - MemAvailable: what the kernel could not give back (page cache excluded).
  used=$(as_user ours timeout --foreground 60 "$alfs" vm exec -t "$1" cat /proc/meminfo |
    awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { printf "%.1f", (t - a) / 1024 }')
  record ours guest_mem "$used"
}

round() { # WAY
  local way=$1 m=$work/mnt-$1
  timed "$way" mount mount_way "$way" "$t_mount"; record "$way" mount "$elapsed"
  timed "$way" "ls -lR" list_tree "$way" >"$work/ls.out"; record "$way" ls_lR "$elapsed"
  expect_count "$way" "ls -lR entries" "$(grep -c '^[-d]' "$work/ls.out")" "$tree_entries"
  timed "$way" write write_seq "$way"; record "$way" write "$(per_sec "$mb" "$elapsed")"
  timed "$way" "small files" small_files "$way"; record "$way" small_files "$(per_sec "$small_files" "$elapsed")"
  timed "$way" create create_small "$way"; record "$way" create "$(per_sec "$create_files" "$elapsed")"
  timed "$way" "cp -r" copy_tree "$way"; record "$way" copy "$(per_sec "$copy_total" "$elapsed")"
  expect_count "$way" "files copied" "$(as_user "$way" timeout --foreground "$t_meta" find "$m/copy" -type f | wc -l)" "$copy_total"
  timed "$way" "rm -r" remove_tree "$way"; record "$way" remove "$(per_sec "$copy_total" "$elapsed")"
  timed "$way" unmount unmount_way "$way" "$t_unmount"; record "$way" unmount "$elapsed"

  timed "$way" remount mount_way "$way" "$t_mount"
  drop_caches
  timed "$way" read read_seq "$way"; record "$way" read "$(per_sec "$mb" "$elapsed")"
  as_user "$way" timeout --foreground "$t_io" cmp -s "$payload" "$m/seq" || die "$way: the file read back differs from the one written"
  expect_count "$way" "small files after remount" "$(as_user "$way" timeout --foreground "$t_meta" find "$m/small" -type f | wc -l)" "$small_files"
  expect_count "$way" "created files after remount" "$(as_user "$way" timeout --foreground "$t_meta" find "$m/create" -type f | wc -l)" "$create_files"
  timed "$way" "cp -r out" copy_out "$way"; record "$way" copy_out "$(per_sec "$create_files" "$elapsed")"
  expect_count "$way" "files copied out" "$(find "$source_tree/out-$way/create" -type f -size 1k | wc -l)" "$create_files"
  rm -rf "$source_tree/out-$way"
  as_user "$way" test ! -e "$m/copy" || die "$way: the removed tree is back after the remount"
  [ "$way" = ours ] && memory_of_ours "$m"
  timed "$way" "removing the files" as_user "$way" timeout --foreground "$t_meta" rm -rf "$m/seq" "$m/small" "$m/create"
  timed "$way" unmount unmount_way "$way" "$t_unmount"
  check_image "after $way"
}

echo "peers: making the $fs image, $tree_entries entries and the ${size} MiB payload" >&2
for way in "${ways[@]}" native; do mkdir -p "$work/mnt-$way"; done
[ "$owner" = root ] || chown "$owner" "$work"/mnt-ours*
printf '[vm]\ninstant_mount = false\n' >"$work/booted.toml"
truncate -s $((size * 2 + 512))M "$img" # xfs wants 300 MiB at least
timeout --foreground "$t_check" "mkfs.$fs" -q -L bench-img "$img"
# The tree is made through the host kernel, before any timing.
mount_way native "$t_mount"
# shellcheck disable=SC2016 # the single quotes hold perl
timeout --foreground "$t_meta" perl -e '
  my ($root, $dirs, $files) = @ARGV;
  mkdir $root or die "$root: $!\n";
  for my $d (1 .. $dirs) {
    my $dir = sprintf("%s/d%03d", $root, $d);
    mkdir $dir or die "$dir: $!\n";
    for my $f (1 .. $files) { open(my $fh, ">", sprintf("%s/f%02d", $dir, $f)) or die "$dir: $!\n"; close $fh }
  }' "$work/mnt-native/tree" "$tree_dirs" "$tree_files"
unmount_way native "$t_unmount"
check_image "after making it"
timeout --foreground "$t_io" head -c "${size}M" /dev/urandom >"$payload"
# shellcheck disable=SC2016 # the single quotes hold perl
perl -e '
  my ($root, $dirs, $files) = @ARGV; my $data = "y" x 1024;
  mkdir $root or die "$root: $!\n";
  for my $d (1 .. $dirs) {
    my $dir = sprintf("%s/d%03d", $root, $d);
    mkdir $dir or die "$dir: $!\n";
    for my $f (1 .. $files) { open(my $fh, ">", "$dir/f$f") or die "$dir: $!\n"; print $fh $data; close $fh }
  }' "$source_tree/copy" "$copy_dirs" "$copy_files"
chmod -R a+rX "$source_tree"

# Untimed first cycle of the VM-based ways: the first run may build the guest image
# (ours) or the appliance (libguestfs); every later mount finds them cached.
declare -A first=()
for way in "${ways[@]}"; do
  [[ $way == ours* ]] || [[ $way == guestmount* ]] || continue
  echo "peers: first $way mount (untimed)" >&2
  timed "$way" "first mount" mount_way "$way" "$t_first"; first[$way]=$elapsed
  if [ "$way" = ours ]; then
    timeout --foreground 60 "$alfs" status --json | jq -r --arg mp "$work/mnt-ours" \
      '.instances[] | select(.mount_point == $mp) | .log_file, .console_log' >"$work/ours-logs"
  fi
  timed "$way" "first unmount" unmount_way "$way" "$t_unmount"
  check_image "after the first $way mount"
done

for r in $(seq "$rounds"); do
  for way in "${ways[@]}"; do
    echo "peers: round $r/$rounds: $way" >&2
    round "$way"
  done
done

# Versions and accelerators, as far as each way ran.
qemu=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version //p')
versions=$(jq -n --arg kernel "$(uname -r)" --arg qemu "$qemu" \
  --arg commit "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  '{host_kernel: $kernel, qemu: $qemu, commit: $commit}')
accel='{}'
notes=()
if has ours; then
  ours_log=$(sed -n 1p "$work/ours-logs") ours_console=$(sed -n 2p "$work/ours-logs")
  ours_accel=$(grep -o 'starting the VM ([^)]*)' "$ours_log" 2>/dev/null | tail -n1 | sed 's/.*(\(.*\))/\1/' || true)
  guest_kernel=$(grep -o 'Linux version [^ ]*' "$ours_console" 2>/dev/null | head -n1 | cut -d' ' -f3 || true)
  versions=$(jq --arg v "$(timeout --foreground 60 "$alfs" --version)" --arg k "${guest_kernel:-unknown}" \
    '. + {anylinuxfs: $v, ours_guest_kernel: $k}' <<<"$versions")
  accel=$(jq --arg a "${ours_accel:-unknown}" '. + {ours: $a}' <<<"$accel")
  notes+=("ours: ${ours_accel:-unknown}, guest kernel ${guest_kernel:-unknown}, first mount $(printf %.1f "${first[ours]}") s")
fi
if has guestmount || has guestmount_bw; then
  kernel_file=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}/.guestfs-$(id -u)/appliance.d/kernel
  appliance_kernel=$(file -bL "$kernel_file" | grep -o 'version [^ ]*' | cut -d' ' -f2 || true)
  libguestfs=$(guestmount --version | cut -d' ' -f2)
  memsize=$(guestfish get-memsize)
  versions=$(jq --arg v "$libguestfs" --arg k "${appliance_kernel:-unknown}" --arg m "$memsize" \
    '. + {libguestfs: $v, guestmount_appliance_kernel: $k, guestmount_memsize_mib: ($m | tonumber)}' <<<"$versions")
  for w in guestmount guestmount_bw; do
    has "$w" || continue
    accel=$(jq --arg w "$w" '. + {($w): "qemu, tcg (forced)"}' <<<"$accel")
    notes+=("$w: libguestfs $libguestfs, qemu, tcg (forced), ${memsize} MiB, appliance kernel ${appliance_kernel:-unknown}, first mount (builds the appliance when not cached) $(printf %.1f "${first[$w]}") s")
  done
fi
if has fuse2fs; then
  versions=$(jq --arg v "$(dpkg-query -W -f='${Version}' fuse2fs)" '. + {fuse2fs: $v}' <<<"$versions")
fi
skipped_json=$(for w in "${!skipped[@]}"; do printf '%s\t%s\n' "$w" "${skipped[$w]}"; done |
  jq -R -n '[inputs | split("\t") | {key: .[0], value: .[1]}] | from_entries')
for w in "${!skipped[@]}"; do notes+=("$w: skipped (${skipped[$w]})"); done

mkdir -p bench/results
json=bench/results/peers-$fs.json
jq -R -n --arg fs "$fs" --argjson rounds "$rounds" --argjson size "$size" \
  --argjson small "$small_files" --argjson create "$create_files" --argjson copy "$copy_total" --argjson entries "$tree_entries" --arg date "$(date -Iseconds)" \
  --argjson ways "$(printf '%s\n' "${ways[@]}" | jq -R . | jq -s .)" --argjson skipped "$skipped_json" \
  --argjson versions "$versions" --argjson accel "$accel" '
  def median: sort | length as $n
    | if $n == 0 then null elif $n % 2 == 1 then .[($n - 1) / 2] else (.[$n / 2 - 1] + .[$n / 2]) / 2 end;
  [inputs | split("\t") | {way: .[0], metric: .[1], value: (.[2] | tonumber)}] as $rows
  | {fs: $fs, rounds: $rounds, size_mib: $size, small_files: $small, create_files: $create, copy_files: $copy, tree_entries: $entries,
     date: $date, ways: $ways, skipped: $skipped, versions: $versions, accelerator: $accel,
     metrics: ([
       {name: "mount", label: "mount", unit: "s", better: "lower"},
       {name: "unmount", label: "unmount", unit: "s", better: "lower"},
       {name: "write", label: "write", unit: "MB/s", better: "higher"},
       {name: "read", label: "read", unit: "MB/s", better: "higher"},
       {name: "small_files", label: "create+fsync", unit: "files/s", better: "higher"},
       {name: "create", label: "create+sync", unit: "files/s", better: "higher"},
       {name: "copy", label: "cp -r+sync", unit: "files/s", better: "higher"},
       {name: "remove", label: "rm -r+sync", unit: "files/s", better: "higher"},
       {name: "copy_out", label: "cp -r out", unit: "files/s", better: "higher"},
       {name: "ls_lR", label: "ls -lR", unit: "s", better: "lower"},
       {name: "supervisor_rss", label: "supervisor RSS", unit: "MiB", better: "lower"},
       {name: "guest_mem", label: "guest mem used", unit: "MiB", better: "lower"}
     ] | map(.name as $m
       | ([$ways[] as $w | {key: $w, value: [$rows[] | select(.way == $w and .metric == $m) | .value]}]
          | from_entries) as $samples
       | ($samples | map_values(median)) as $median
       | {key: $m, value: {label: .label, unit, better, samples: $samples, median: $median,
           ratio: ([("guestmount", "guestmount_bw", "native", "fuse2fs", "ours_booted") as $p
             | select($median.ours != null and $median[$p] != null and $median[$p] != 0)
             | {key: "ours/\($p)", value: ($median.ours / $median[$p])}] | from_entries)}})
       | from_entries)}' "$work/samples.tsv" >"$work/peers.json"
mv "$work/peers.json" "$json" # only whole: a failed run leaves the last results as they were

printf '\nanylinuxfs beside its peers: %s; medians of %s round(s); %s MiB file, %s files of 4 KiB, %s of 1 KiB, a tree of %s, %s entries\n' \
  "$fs" "$rounds" "$size" "$small_files" "$create_files" "$copy_total" "$tree_entries"
printf 'host kernel %s, QEMU %s' "$(uname -r)" "$qemu"
has fuse2fs && printf ', fuse2fs %s' "$(jq -r .fuse2fs <<<"$versions")"
printf '\n'
for n in "${notes[@]}"; do printf '%s\n' "$n"; done
printf '\n'
jq -r '.metrics[]
  | [.label, .unit, .better,
     (.median | .ours, .ours_booted, .native, .fuse2fs, .guestmount, .guestmount_bw),
     (.ratio | .["ours/guestmount"], .["ours/guestmount_bw"], .["ours/native"], .["ours/fuse2fs"], .["ours/ours_booted"])]
  | map(. // "-") | @tsv' "$json" |
  awk -F'\t' '
    function fmt(x, a) {
      if (x == "-") return x
      a = x < 0 ? -x : x
      if (a >= 100) return sprintf("%.0f", x)
      if (a >= 10) return sprintf("%.1f", x)
      if (a >= 1) return sprintf("%.2f", x)
      return sprintf("%.3g", x)
    }
    BEGIN {
      f = "%-15s %-8s %-7s %9s %12s %9s %9s %10s %13s %16s %19s %12s %13s %17s\n"
      printf f, "metric", "unit", "better", "ours", "ours_booted", "native", "fuse2fs", "guestmount", "guestmount_bw", "ours/guestmount", "ours/guestmount_bw", "ours/native", "ours/fuse2fs", "ours/ours_booted"
    }
    { printf f, $1, $2, $3, fmt($4), fmt($5), fmt($6), fmt($7), fmt($8), fmt($9), fmt($10), fmt($11), fmt($12), fmt($13), fmt($14) }'
printf '\nsamples and medians: %s\n' "$json"
