#!/bin/bash
# The arm64 guest (the one a Mac boots) beside the x86_64 one on this x86_64 host, both
# under TCG, in one invocation: mount (restored guest -> files readable), sequential
# write (dd conv=fsync), read after dropping the host's and the guest's caches (a
# remount), unmount -w. Medians of N rounds, and arm64/x86_64. A record, not a target:
# arm64 is emulated on x86_64 here, where a Mac runs it under HVF.
# Usage: sudo bench/guest_arch.sh [--rounds N] [--size MiB]
# ALFS names the anylinuxfs binary (default: build/bin/anylinuxfs).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 size=150
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:-}; shift 2 ;;
    --size) size=${2:-}; shift 2 ;;
    *) sed -n 's/^# \{0,1\}//; /^Usage:/,/^ALFS/p' "$0" >&2; exit 2 ;;
  esac
done
[[ $rounds =~ ^[1-9][0-9]*$ && $size =~ ^[1-9][0-9]*$ ]] || { echo "guest_arch: --rounds and --size take numbers" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "guest_arch: needs root (dropping the page cache): sudo $0" >&2; exit 1; }
alfs=${ALFS:-$PWD/build/bin/anylinuxfs}
work=$(mktemp -d /var/tmp/alfs-bench-arch.XXXXXX)
payload=$(mktemp /dev/shm/alfs-bench-arch.XXXXXX)
cleanup() {
  mountpoint -q "$work/m" 2>/dev/null && timeout 120 "$alfs" unmount -w "$work/m" >/dev/null 2>&1
  rm -rf --one-file-system "$work" "$payload"
}
trap cleanup EXIT
head -c "${size}M" /dev/urandom >"$payload"
truncate -s $((size * 2 + 64))M "$work/disk.img"
mkfs.ext4 -q "$work/disk.img"
mkdir "$work/m"
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
mb=$(awk -v s="$size" 'BEGIN { print s * 1048576 / 1000000 }')
run() { timeout 600 "$alfs" "$@" >/dev/null; }
# One mount of each first: it builds the arch's image and saved guest when missing.
for arch in x86_64 arm64; do ALFS_GUEST_ARCH=$arch run mount "$work/disk.img" "$work/m" && ALFS_GUEST_ARCH=$arch run unmount -w "$work/m"; done
for round in $(seq "$rounds"); do
  for arch in x86_64 arm64; do
    export ALFS_GUEST_ARCH=$arch
    t=$(now); run mount "$work/disk.img" "$work/m"; echo "$arch mount $(since "$t")"
    t=$(now); dd if="$payload" of="$work/m/seq" bs=1M conv=fsync status=none
    echo "$arch write $(awk -v m="$mb" -v s="$(since "$t")" 'BEGIN { printf "%.2f", m / s }')"
    t=$(now); run unmount -w "$work/m"; echo "$arch unmount $(since "$t")"
    sync && echo 3 >/proc/sys/vm/drop_caches
    run mount "$work/disk.img" "$work/m"
    t=$(now); dd if="$work/m/seq" of=/dev/null bs=1M status=none
    echo "$arch read $(awk -v m="$mb" -v s="$(since "$t")" 'BEGIN { printf "%.2f", m / s }')"
    cmp -s "$payload" "$work/m/seq" || { echo "guest_arch: $arch read back other data" >&2; exit 1; }
    rm "$work/m/seq"
    run unmount -w "$work/m"
  done
done | tee "$work/samples" >&2
e2fsck -fn "$work/disk.img" >/dev/null 2>&1 || { echo "guest_arch: the image is not clean" >&2; exit 1; }
# Medians per arch and metric, then arm64/x86_64.
awk '{ v[$1 " " $2] = v[$1 " " $2] " " $3 }
  function median(s,  a, n) { n = split(s, a, " "); asort(a); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    printf "%-8s %-5s %10s %10s %14s\n", "metric", "unit", "x86_64", "arm64", "arm64/x86_64"
    split("mount s unmount s write MB/s read MB/s", m, " ")
    for (i = 1; i < 8; i += 2) {
      x = median(v["x86_64 " m[i]]); a = median(v["arm64 " m[i]])
      printf "%-8s %-5s %10.3f %10.3f %13.2fx\n", m[i], m[i + 1], x, a, a / x
    }
  }' "$work/samples"
