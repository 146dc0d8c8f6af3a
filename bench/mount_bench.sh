#!/bin/bash
# Mount/unmount time and sequential throughput through anylinuxfs, beside the host
# kernel's loop mount of the same image (the physical limit) in the same run.
# Usage: sudo bench/mount_bench.sh [rounds=5] [size_mb=200]
# Prints medians and ratios, and writes bench/results/mount_bench.json.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
size=${2:-200}
alfs=${ALFS:-$PWD/build/bin/anylinuxfs}
work=$(mktemp -d /var/tmp/alfs-bench.XXXXXX)
trap '"$alfs" stop -f >/dev/null 2>&1 || true; umount "$work/loop" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/mnt" "$work/loop"
truncate -s $((size * 3))M "$work/disk.img"
mkfs.ext4 -q -L bench "$work/disk.img"

now() { date +%s.%N; }
secs() { printf '%.3f' "$(echo "$2 - $1" | bc)"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mbps() { printf '%.1f' "$(echo "scale=3; $size * 1048576 / 1000000 / $1" | bc)"; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

declare -A samples
add() { samples[$1]+="$2"$'\n'; }

for r in $(seq "$rounds"); do
  # ours
  t0=$(now); "$alfs" "$work/disk.img" "$work/mnt" >/dev/null; t1=$(now)
  add ours_mount "$(secs "$t0" "$t1")"
  t0=$(now); dd if=/dev/zero of="$work/mnt/f" bs=1M count="$size" conv=fsync status=none; t1=$(now)
  add ours_write "$(mbps "$(secs "$t0" "$t1")")"
  t0=$(now); "$alfs" unmount -w "$work/mnt" >/dev/null; t1=$(now)
  add ours_unmount "$(secs "$t0" "$t1")"
  "$alfs" "$work/disk.img" "$work/mnt" >/dev/null
  drop_caches
  t0=$(now); dd if="$work/mnt/f" of=/dev/null bs=1M status=none; t1=$(now)
  add ours_read "$(mbps "$(secs "$t0" "$t1")")"
  rm "$work/mnt/f"
  "$alfs" unmount -w "$work/mnt" >/dev/null
  e2fsck -fn "$work/disk.img" >/dev/null 2>&1 || { echo "bench: e2fsck not clean after anylinuxfs" >&2; exit 1; }

  # native: the host kernel's loop mount
  t0=$(now); mount -o loop "$work/disk.img" "$work/loop"; t1=$(now)
  add native_mount "$(secs "$t0" "$t1")"
  t0=$(now); dd if=/dev/zero of="$work/loop/f" bs=1M count="$size" conv=fsync status=none; t1=$(now)
  add native_write "$(mbps "$(secs "$t0" "$t1")")"
  t0=$(now); umount "$work/loop"; t1=$(now)
  add native_unmount "$(secs "$t0" "$t1")"
  mount -o loop "$work/disk.img" "$work/loop"; drop_caches
  t0=$(now); dd if="$work/loop/f" of=/dev/null bs=1M status=none; t1=$(now)
  add native_read "$(mbps "$(secs "$t0" "$t1")")"
  rm "$work/loop/f"; umount "$work/loop"
  e2fsck -fn "$work/disk.img" >/dev/null 2>&1 || { echo "bench: e2fsck not clean after native" >&2; exit 1; }
done

accel=$(grep -o 'starting the VM ([^)]*)' ~/.anylinuxfs/logs/latest.log | tail -n1)
printf '%s rounds, %s MB file, %s, %s\n\n' "$rounds" "$size" "$accel" "$(qemu-system-x86_64 --version | head -n1)"
printf '%-14s %12s %12s %14s\n' metric anylinuxfs native "anylinuxfs/native"
json="{\"rounds\": $rounds, \"size_mb\": $size"
for m in mount unmount write read; do
  o=$(printf '%s' "${samples[ours_$m]}" | median)
  n=$(printf '%s' "${samples[native_$m]}" | median)
  unit=$([ $m = write ] || [ $m = read ] && echo "MB/s" || echo "s")
  ratio=$(printf '%.3f' "$(echo "scale=6; $o / $n" | bc)")
  printf '%-14s %12s %12s %14s\n' "$m ($unit)" "$o" "$n" "$ratio"
  json+=", \"$m\": {\"unit\": \"$unit\", \"anylinuxfs\": $o, \"native\": $n}"
done
mkdir -p bench/results
echo "$json}" > bench/results/mount_bench.json
