#!/bin/bash
# Bad input, table-driven: each case gets a clear message (the expected words), a
# non-zero exit within 60 s (2 for a usage error, README: Exit codes), and leaves no VM,
# instance, FUSE mount, disk lock or runtime directory behind.
. "$(dirname "$0")/lib.sh"
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
export HOME=$work/home  # this test's own config and instances
mkdir -p "$HOME/.anylinuxfs" "$work/mnt" "$work/full" "$work/rootonly"
touch "$work/full/x" "$work/empty.img"
echo x > "$work/file"
head -c 1M /dev/urandom > "$work/random.img"
make_ext4 "$work/disk.img" alfs-e2e-bad 64M
make_ext4 "$work/truncated.img" alfs-e2e-trunc 64M
truncate -s 2M "$work/truncated.img"
make_ext4 "$work/badsuper.img" alfs-e2e-super 64M
# s_log_block_size (superblock offset 24) = 0xffff: the magic is intact, the rest is nonsense.
printf '\377\377' | dd of="$work/badsuper.img" bs=1 seek=$((1024 + 24)) conv=notrunc status=none
truncate -s 64M "$work/part.img"
printf 'label: gpt\n,16M\n,16M\n' | sfdisk -q "$work/part.img"
printf 'QFI\373garbage' > "$work/bad.qcow2"; truncate -s 1M "$work/bad.qcow2"
truncate -s 64M "$work/luks.img"
in_guest "printf alfs-right > /tmp/p && cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 /dev/vda --key-file=/tmp/p &&
  cryptsetup open /dev/vda c --key-file=/tmp/p && mkfs.ext4 -q /dev/mapper/c && cryptsetup close c" "$work/luks.img" >/dev/null
cat > "$work/actions.toml" <<'TOML'
[custom_actions.refuse]
before_mount = 'echo "this action refuses" >&2; exit 4'
TOML
printf '[vm]\nram_size_mib = \n' > "$work/syntax.toml"
chmod 755 "$work" "$work/rootonly"
cp "$work/disk.img" "$work/userdisk.img"; chown "$user:" "$work/userdisk.img"

cases=0
# expect_failure "what" "expected words" command...: one row of the table.
expect_failure() {
  local what=$1 words=$2; shift 2
  cases=$((cases + 1))
  local start=$SECONDS
  run_failing "$@"
  [ $((SECONDS - start)) -le 60 ] || fail "$what: took $((SECONDS - start)) s"
  expect_contains "$out" "$words" "$what"
  leftovers "$what"
}
leftovers() {
  [ -z "$(ls -A "$HOME/.anylinuxfs/instances" 2>/dev/null)" ] || fail "$1: an instance directory is left"
  pgrep -f "anylinuxfs-[0-9]" >/dev/null && fail "$1: a VM is left"
  grep -q "anylinuxfs:" /proc/mounts && fail "$1: a FUSE mount is left"
  mountpoint -q "$work/mnt" && fail "$1: the mount point is left mounted"
  flock -n -x "$work/disk.img" true || fail "$1: the disk is still locked"
  return 0
}
with_config() { cp "$1" "$HOME/.anylinuxfs/config.toml"; }
# A usage error: exit status 2 (README: Exit codes), said on a line of ours.
expect_usage_error() {
  expect_failure "$@"
  expect_eq 2 "$rc" "$1: exit status 2"
  expect_contains "$out" "anylinuxfs: " "$1: our prefix"
}

# The disk: paths and contents.
expect_failure "missing path" "cannot open $work/missing.img: No such file or directory" "$ALFS" "$work/missing.img" "$work/mnt"
expect_eq 1 "$rc" "missing path: exit status 1"
expect_failure "directory" "is a directory" "$ALFS" "$work/full" "$work/mnt"
expect_failure "empty file" "is empty" "$ALFS" "$work/empty.img" "$work/mnt"
expect_failure "random bytes" "no filesystem found" "$ALFS" "$work/random.img" "$work/mnt"
expect_failure "random bytes forced as ext4" "mount: /mnt/disk: wrong fs type" "$ALFS" -t ext4 "$work/random.img" "$work/mnt"
expect_failure "truncated image" "step 'mount'" "$ALFS" "$work/truncated.img" "$work/mnt"
expect_failure "corrupted superblock" "step 'mount'" "$ALFS" "$work/badsuper.img" "$work/mnt"
expect_failure "unknown filesystem type" "unknown filesystem type 'nosuchfs'" "$ALFS" -t nosuchfs "$work/disk.img" "$work/mnt"
expect_failure "wrong driver for the filesystem" "mount: /mnt/disk: wrong fs type" "$ALFS" -t xfs "$work/disk.img" "$work/mnt"
expect_failure "bad -o option" "kernel: ext4: Unknown parameter 'nosuchoption'" "$ALFS" -o nosuchoption "$work/disk.img" "$work/mnt"
expect_failure "partition table without @sN" "mount one of its partitions" "$ALFS" "$work/part.img" "$work/mnt"
expect_failure "partition that does not exist" "no partition 99" "$ALFS" "$work/part.img@s99" "$work/mnt"
expect_failure "partition of an unpartitioned image" "has no partition table" "$ALFS" "$work/disk.img@s1" "$work/mnt"
expect_failure "partition without a filesystem" "no filesystem found" "$ALFS" "$work/part.img@s1" "$work/mnt"
expect_failure "qcow2 that is not one" "qcow2" "$ALFS" "$work/bad.qcow2" "$work/mnt"
# Secrets.
for attempt in 1 2 3; do
  expect_failure "wrong passphrase ($attempt)" "No key available with this passphrase" \
    env ALFS_PASSPHRASE="wrong-$attempt" "$ALFS" "$work/luks.img" "$work/mnt"
done
expect_failure "missing key file" "cannot open $work/nokey" "$ALFS" -k "$work/nokey" "$work/luks.img" "$work/mnt"
expect_failure "no passphrase and no terminal" "no terminal to ask on" "$ALFS" "$work/luks.img" "$work/mnt"
# Identifiers.
expect_failure "lvm: without parts" "lvm:" "$ALFS" "lvm:" "$work/mnt"
expect_failure "lvm: without disks" "lvm:" "$ALFS" "lvm:vg:lv" "$work/mnt"
expect_failure "raid: without disks" "raid:" "$ALFS" "raid:" "$work/mnt"
expect_failure "img@s without a number" "bad partition suffix" "$ALFS" "$work/disk.img@s" "$work/mnt"
expect_failure "empty member" "empty" "$ALFS" "$work/disk.img:" "$work/mnt"
# Mount points.
expect_failure "mount point is a file" "is a file, not a directory" "$ALFS" "$work/disk.img" "$work/file"
expect_failure "mount point not empty" "is not empty" "$ALFS" "$work/disk.img" "$work/full"
expect_failure "mount point under a missing directory" "does not exist" "$ALFS" "$work/disk.img" "$work/no/such/dir"
expect_failure "mount point not writable" "cannot be created in $work/rootonly" \
  runuser -u "$user" -- env HOME="$work/home-$user" ALFS_IMAGE_DIR="${ALFS_IMAGE_DIR:-}" "$ALFS" "$work/userdisk.img" "$work/rootonly/mp"
# Options, config, actions.
expect_usage_error "unknown option" "--nosuch" "$ALFS" --nosuch "$work/disk.img" "$work/mnt"
expect_usage_error "bad -p value" "-p" "$ALFS" -p x "$work/disk.img" "$work/mnt"
expect_usage_error "bad -b address" "not-an-address" "$ALFS" -b not-an-address "$work/disk.img" "$work/mnt"
expect_usage_error "option without its value" "--options: 1 required TEXT missing" "$ALFS" "$work/disk.img" "$work/mnt" -o
expect_usage_error "unknown vm subcommand" "A subcommand is required" "$ALFS" vm nosuch
expect_usage_error "vm exec without its -t value" "--target" "$ALFS" vm exec -t
expect_usage_error "help of an unknown command" "unknown command 'nosuch'" "$ALFS" help nosuch
out=$("$ALFS" help) || fail "help: exit status $?"
expect_contains "$out" "Exit status: 0 success, 1 failure, 2 usage error" "help: exit status 0, the codes listed"
"$ALFS" mount --help >/dev/null || fail "mount --help: exit status $?"
"$ALFS" --version >/dev/null || fail "--version: exit status $?"
expect_failure "-b address not on this host" "no free port on 192.0.2.1" "$ALFS" -b 192.0.2.1 "$work/disk.img" "$work/mnt"
with_config "$work/syntax.toml"
expect_failure "config with a syntax error" "config.toml:2" "$ALFS" "$work/disk.img" "$work/mnt"
with_config "$work/actions.toml"
expect_failure "custom action that fails" "this action refuses" "$ALFS" -a refuse "$work/disk.img" "$work/mnt"
expect_failure "unknown custom action" "unknown custom action 'nope'" "$ALFS" -a nope "$work/disk.img" "$work/mnt"
rm "$HOME/.anylinuxfs/config.toml"
# State.
"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
mkdir "$work/mnt2"
run_failing "$ALFS" "$work/disk.img" "$work/mnt2"
expect_contains "$out" "is in use by another anylinuxfs instance (mounted at $work/mnt)" "disk already in use"
cases=$((cases + 1))
# vm exec passes the command's status through: a 2 of the guest's has no line of ours.
run_failing "$ALFS" vm exec -t "$work/mnt" sh -c 'echo from the guest >&2; exit 2'
expect_eq "2 from the guest" "$rc $out" "vm exec: the guest command's status and output only"
"$ALFS" unmount -w "$work/mnt" >/dev/null
leftovers "disk already in use"
expect_failure "unmount of nothing" "no anylinuxfs instance is mounted at or from" "$ALFS" unmount "$work/mnt"
expect_failure "vm exec without an instance" "no anylinuxfs instance is running" "$ALFS" vm exec true
expect_eq 1 "$rc" "vm exec without an instance: exit status 1"
mkdir -p "$work/image"
# A copy of the current image (the one the last mount used, found by its root filesystem
# since a restored guest's command line names no kernel; the cache may also hold the ZFS
# variant) with a damaged kernel.
rootfs=$("$ALFS" log | grep -o -- '-drive file=[^,]*/rootfs.img' | tail -n1 | cut -d= -f2)
key_dir=$(dirname "${rootfs:?no root filesystem in the log of the last mount}")
cp -r "$key_dir" "$work/image/"
echo "not a kernel" > "$work/image/$(basename "$key_dir")/kernel"
expect_failure "corrupt guest image" "anylinuxfs init" env ALFS_IMAGE_DIR="$work/image" "$ALFS" "$work/disk.img" "$work/mnt"

[ $cases -ge 30 ] || fail "only $cases cases"
pass "$cases bad-input cases"
fsck_clean "$work/disk.img"
