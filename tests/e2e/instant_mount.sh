#!/bin/bash
# Instant mount (issue 19, instance/guest_template.h): the first mount saves a booted
# guest, later ones restore it and hot-plug their own disks. Two restores of one saved
# guest each see their own disk only, with the host's clock and fresh random bytes, and
# hold only the memory the guest uses; a damaged saved guest is removed and the mount
# boots, as it does when others could change the saved guests; `[vm] instant_mount =
# false` boots.
. "$(dirname "$0")/lib.sh"
export HOME=$work/home  # no saved guest yet, and a config of its own (below)
templates=$HOME/.anylinuxfs/templates
mkdir -p "$HOME/.anylinuxfs" "$work/mnt" "$work/seed-a" "$work/seed-b"
printf '[vm]\ninstant_mount = true\n' > "$HOME/.anylinuxfs/config.toml"  # the default, said anyway
in_guest_of() { "$ALFS" vm exec -t "$work/mnt" "$@"; }

echo from-a > "$work/seed-a/a.txt"
make_ext4 "$work/a.img" disk-a 64M "$work/seed-a"
"$ALFS" "$work/a.img" "$work/mnt" >/dev/null
log=$("$ALFS" log)
expect_contains "$log" "saving a booted guest for instant mounts" "the first mount saves a booted guest"
expect_contains "$log" "restored the saved guest" "... and restores it"
expect_eq from-a "$(cat "$work/mnt/a.txt")" "disk A's file through the mount"
random_a=$(in_guest_of sh -c 'head -c 16 /dev/urandom | od -An -tx1')
echo "written on a" > "$work/mnt/w.txt"
"$ALFS" unmount -w "$work/mnt" >/dev/null
fsck_clean "$work/a.img"
expect_eq "written on a" "$(image_cat "$work/a.img" w.txt)" "the write reached disk A"

# Disk B: bigger and partitioned; its second partition is mounted.
truncate -s 200M "$work/b.img"
printf 'label: dos\nsize=60M, type=83\nsize=100M, type=83\n' | sfdisk -q "$work/b.img"
start=$(sfdisk -d "$work/b.img" | sed -n 's/.*b.img2 : start= *\([0-9]*\),.*/\1/p')
loop=$(losetup -f --show -o $((start * 512)) --sizelimit $((100 * 1048576)) "$work/b.img")
test_cleanup() { losetup -d "$loop" 2>/dev/null || true; }
echo from-b > "$work/seed-b/b.txt"
mkfs.ext4 -q -L disk-b -d "$work/seed-b" "$loop"
sleep 5  # the saved guest's clock is now at least 5 s behind the host's
"$ALFS" "$work/b.img@s2" "$work/mnt" >/dev/null
log=$("$ALFS" log)
expect_contains "$log" "restored the saved guest" "the second mount restores the same saved guest"
[[ $log != *"saving a booted guest"* ]] || fail "the second mount saved another guest"
pass "... without saving another"
expect_eq "b.txt lost+found" "$(ls "$work/mnt" | tr '\n' ' ' | sed 's/ $//')" "disk B's files, nothing of disk A's"
expect_eq $((200 * 1048576)) "$(in_guest_of blockdev --getsize64 /dev/vda)" "the guest's /dev/vda is disk B, at its size"
expect_eq "vda vda1 vda2" "$(in_guest_of sh -c 'cd /dev && echo vd*')" "disk B's partitions, and no other disk"
expect_eq disk-b "$(in_guest_of blkid -o value -s LABEL /dev/vda2)" "partition 2's label"
offset=$(($(in_guest_of date +%s) - $(date +%s)))
if [ "${offset#-}" -le 2 ]; then pass "the restored guest's clock is the host's"; else fail "the guest's clock is ${offset} s off"; fi
# The restore brings back the memory the guest uses, not all of its RAM: the saved guest
# has no records of its zero pages (vm/migration_stream.h), each of which QEMU would
# read, and so allocate (540 MiB of 512 MiB guest RAM here before).
vm_pid=$("$ALFS" status --json | jq -r '.instances[0].vm_pid')
anon=$(awk '/^Anonymous:/ { print int($2 / 1024) }' "/proc/$vm_pid/smaps_rollup")
[ "$anon" -lt 300 ] || fail "the restored QEMU holds $anon MiB of anonymous memory for a guest of 512 MiB"
pass "the restored QEMU holds $anon MiB, not the guest's whole RAM"
expect_contains "$(grep 'RAM pages kept' "$HOME/.anylinuxfs/logs/"*.log | head -1)" "the others are zeros" \
  "the saved guest was written without its zero pages"
random_b=$(in_guest_of sh -c 'head -c 16 /dev/urandom | od -An -tx1')
[ "$random_a" != "$random_b" ] || fail "two restores gave the same random bytes: $random_a"
pass "two restores give different random bytes"
echo "written on b" > "$work/mnt/w.txt"
"$ALFS" unmount -w "$work/mnt" >/dev/null
fsck_clean "$loop"
expect_eq "written on b" "$(image_cat "$loop" w.txt)" "the write reached disk B's partition"

# What leaving out the zero pages rests on: until the saved guest comes in, a restoring
# QEMU's RAM is zeros (it loads no kernel or firmware into it).
python3 - "$work/qmp.sock" "$work/ram.bin" <<'PY' || fail "a QEMU waiting for a saved guest has RAM that is not zeros"
import json, socket, subprocess, sys, time
sock, dump = sys.argv[1], sys.argv[2]
qemu = subprocess.Popen(["qemu-system-x86_64", "-M", "microvm,x-option-roms=off", "-accel", "tcg", "-m", "512",
                         "-nodefaults", "-no-user-config", "-display", "none", "-device", "virtio-scsi-device",
                         "-qmp", "unix:" + sock + ",server=on,wait=off", "-incoming", "defer"])
try:
    for _ in range(100):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            break
        except OSError:
            time.sleep(0.1)
    f = s.makefile("rw")
    f.readline()
    def run(command, arguments=None):
        f.write(json.dumps({"execute": command, "arguments": arguments or {}}) + "\n")
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if "return" in reply or "error" in reply:
                assert "return" in reply, reply
                return reply
    run("qmp_capabilities")
    run("pmemsave", {"val": 0, "size": 512 << 20, "filename": dump})
    run("quit")
finally:
    qemu.wait(timeout=30)
with open(dump, "rb") as ram:
    while chunk := ram.read(1 << 20):
        if chunk.count(0) != len(chunk):
            sys.exit(1)
PY
pass "a QEMU waiting for a saved guest has RAM of zeros"
rm -f "$work/ram.bin"

# Only the user's own: 0700, nothing else in it.
expect_eq 700 "$(stat -c %a "$templates")" "the saved guests' directory is the user's alone"

# A damaged saved guest: the mount says why, boots, and the next mount saves a new one.
saved=$(echo "$templates"/*/state)
head -c 4096 /dev/urandom | dd of="$saved" bs=1 seek=200 conv=notrunc status=none
"$ALFS" "$work/a.img" "$work/mnt" >/dev/null
expect_contains "$("$ALFS" log)" "cannot restore the saved guest" "a damaged saved guest is reported"
expect_eq from-a "$(cat "$work/mnt/a.txt")" "... and the mount boots instead"
"$ALFS" unmount -w "$work/mnt" >/dev/null
[ ! -e "$saved" ] || fail "the damaged saved guest is still there"
pass "the damaged saved guest is removed"
"$ALFS" "$work/a.img" "$work/mnt" >/dev/null
log=$("$ALFS" log)
expect_contains "$log" "saving a booted guest" "the next mount saves a new one"
expect_contains "$log" "restored the saved guest" "... and restores it"
"$ALFS" unmount -w "$work/mnt" >/dev/null

# A directory others may write (they could change a saved guest QEMU runs): not used.
chmod 777 "$templates"
"$ALFS" "$work/a.img" "$work/mnt" >/dev/null
log=$("$ALFS" log)
expect_contains "$log" "is not a directory of this user's alone" "saved guests others could change are refused"
[[ $log != *"restored the saved guest"* ]] || fail "restored a guest from a directory others may write"
pass "... and the mount boots instead"
"$ALFS" unmount -w "$work/mnt" >/dev/null
chmod 700 "$templates"

# Switched off: every mount boots.
printf '[vm]\ninstant_mount = false\n' > "$HOME/.anylinuxfs/config.toml"
"$ALFS" "$work/a.img" "$work/mnt" >/dev/null
log=$("$ALFS" log)
[[ $log != *"restored the saved guest"* && $log == *"-drive file=$work/a.img"* ]] || fail "instant_mount = false restored: $log"
pass "instant_mount = false boots the guest with its disk"
"$ALFS" unmount -w "$work/mnt" >/dev/null
fsck_clean "$work/a.img"
no_instances_left
