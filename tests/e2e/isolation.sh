#!/bin/bash
# A mount is its user's alone: another local account reaches nothing through the NFS
# ports (their numbers are in /proc/net/tcp, world-readable), whatever uid its AUTH_SYS
# credentials claim; the forwards refuse it before a byte reaches the guest and log its
# uid. The owner's mount keeps working. This holds for root's mount, for a `sudo` mount
# run by a user and for a user's own rootless mount. And the host honours no setuid bit
# of the disk. (sudo is simulated: root with the variables sudo sets.)
. "$(dirname "$0")/lib.sh"
other=alfs-other
id "$other" >/dev/null 2>&1 || useradd --no-create-home --shell /bin/bash "$other"
other_uid=$(id -u "$other")
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
user_home=$(getent passwd "$user" | cut -d: -f6)
user_uid=$(id -u "$user"); user_gid=$(id -g "$user")
fuse_mode=$(stat -c %a /dev/fuse)
as_user() { runuser -u "$user" -- env HOME="$user_home" ALFS_IMAGE_DIR="${ALFS_IMAGE_DIR:-}" "$@"; }
as_sudo() { env SUDO_USER="$user" SUDO_UID="$user_uid" SUDO_GID="$user_gid" "$@"; }
test_cleanup() { chmod "$fuse_mode" /dev/fuse; as_user "$ALFS" stop -f >/dev/null 2>&1; }
chmod o+rw /dev/fuse  # as on a stock Debian (0666); some containers make it 0600

# A disk whose only file is readable by its owner alone (uid:gid), owned by that user.
make_secret_disk() {  # path label uid gid
  rm -rf "$work/seed"; mkdir "$work/seed"
  echo "owner only" > "$work/seed/secret.txt"
  chown "$3:$4" "$work/seed/secret.txt"; chmod 600 "$work/seed/secret.txt"
  make_ext4 "$1" "$2" 64M "$work/seed"
  chown "$3:$4" "$1"
}

# The attacks of one mount whose records live in `home` and whose owner is `uid`;
# `owner_run` runs a command as that owner (the positive control).
probe() {  # mode home uid owner_run...
  local mode=$1 home=$2 uid=$3 nfs mountd out claimed; shift 3
  read -r nfs mountd < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["nfs_port"], r["mountd_port"])' \
    "$home"/.anylinuxfs/instances/*/instance.json)
  url() { echo "nfs://127.0.0.1/mnt/disk$1?uid=$2&gid=$2&version=3&nfsport=$nfs&mountport=$mountd"; }
  out=$(timeout 60 "$@" nfs-cat "$(url /secret.txt "$uid")" 2>&1) || fail "$mode: the owner's own nfs-cat: $out"
  expect_eq "owner only" "$out" "$mode: the owner reads through the NFS ports"
  echo planted > "$work/planted"; chmod 644 "$work/planted"
  for claimed in 0 "$uid" "$other_uid"; do
    out=$(timeout 60 runuser -u "$other" -- nfs-cat "$(url /secret.txt "$claimed")" 2>&1) &&
      fail "$mode: $other read the owner's file claiming uid $claimed: $out"
    out=$(timeout 60 runuser -u "$other" -- nfs-ls "$(url / "$claimed")" 2>&1) &&
      fail "$mode: $other listed the export claiming uid $claimed: $out"
    out=$(timeout 60 runuser -u "$other" -- nfs-cp "$work/planted" "$(url /planted "$claimed")" 2>&1) &&
      fail "$mode: $other wrote to the disk claiming uid $claimed: $out"
  done
  pass "$mode: another local user reads, lists and writes nothing, whatever uid it claims"
  grep -q "forwards: refused a connection from 127.0.0.1:[0-9]*: its socket belongs to uid $other_uid" \
    "$home/.anylinuxfs/logs/latest.log" || fail "$mode: no log line names uid $other_uid"
  pass "$mode: each refusal is logged with the uid"
}

nothing_planted() {  # mode image
  image_cat "$2" /planted | grep -q planted && fail "$1: the planted file is on the disk"
  pass "$1: nothing of $other reached the disk"
  fsck_clean "$2"
}

# Root's own mount.
mkdir "$work/mnt"
make_secret_disk "$work/root.img" alfs-e2e-iso 0 0
"$ALFS" "$work/root.img" "$work/mnt" >/dev/null
probe root ~ 0 env
expect_eq "owner only" "$(cat "$work/mnt/secret.txt")" "root: the owner's mount point still works"
# A setuid-root program copied onto the disk does not run as root through the mount
# point (nosuid), for a user that can reach it (allow_other: root's mount).
cp /usr/bin/id "$work/mnt/suid-id"
chmod 4755 "$work/mnt/suid-id"
expect_eq "4755" "$(stat -c %a "$work/mnt/suid-id")" "the setuid bit is on the disk"
euid=$(runuser -u "$other" -- "$work/mnt/suid-id" -u) || fail "the copied id did not run"
expect_eq "$other_uid" "$euid" "a setuid-root binary on the disk runs with the caller's uid"
"$ALFS" unmount -w "$work/mnt" >/dev/null
nothing_planted root "$work/root.img"

# A user's `sudo` mount: the instance is the user's, so only the user (and root) get in.
make_secret_disk "$work/sudo.img" alfs-e2e-isosudo "$user_uid" "$user_gid"
as_sudo "$ALFS" "$work/sudo.img" >/dev/null
probe sudo "$user_home" "$user_uid" runuser -u "$user" --
expect_eq "owner only" "$(as_user cat /mnt/alfs-e2e-isosudo/secret.txt)" "sudo: the owner's mount point still works"
as_sudo "$ALFS" unmount -w /mnt/alfs-e2e-isosudo >/dev/null
nothing_planted sudo "$work/sudo.img"

# A user's own rootless mount.
make_secret_disk "$work/user.img" alfs-e2e-isouser "$user_uid" "$user_gid"
as_user "$ALFS" "$work/user.img" >/dev/null
probe rootless "$user_home" "$user_uid" runuser -u "$user" --
expect_eq "owner only" "$(as_user cat "$user_home/mnt/alfs-e2e-isouser/secret.txt")" "rootless: the owner's mount point still works"
as_user "$ALFS" unmount -w "$user_home/mnt/alfs-e2e-isouser" >/dev/null
nothing_planted rootless "$work/user.img"
no_instances_left
expect_eq "" "$(as_user "$ALFS" status)" "no instance of the user left"
