#!/bin/bash
# A mount is its user's alone: another local account reaches nothing through the NFS
# ports (their numbers are in /proc/net/tcp, world-readable), whatever uid its AUTH_SYS
# credentials claim; the forwards refuse it before a byte reaches the guest and log its
# uid. The owner's mount keeps working. And the host honours no setuid bit of the disk.
. "$(dirname "$0")/lib.sh"
other=alfs-other
id "$other" >/dev/null 2>&1 || useradd --no-create-home --shell /bin/bash "$other"
other_uid=$(id -u "$other")
mkdir "$work/seed" "$work/mnt"
echo "root only" > "$work/seed/secret.txt"
chmod 600 "$work/seed/secret.txt"
make_ext4 "$work/disk.img" alfs-e2e-iso 64M "$work/seed"

ports() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["nfs_port"], r["mountd_port"])' \
  ~/.anylinuxfs/instances/*/instance.json; }
url() {  # path uid
  echo "nfs://127.0.0.1/mnt/disk$1?uid=$2&gid=$2&version=3&nfsport=$nfs&mountport=$mountd"
}

"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
read -r nfs mountd < <(ports)
# The positive control: root (the owner here) reaches the export with the same client.
out=$(timeout 60 nfs-cat "$(url /secret.txt 0)" 2>&1) || fail "the owner's own nfs-cat: $out"
expect_eq "root only" "$out" "the owner reads through the NFS ports"
for claimed in 0 "$other_uid"; do
  out=$(timeout 60 runuser -u "$other" -- nfs-cat "$(url /secret.txt "$claimed")" 2>&1) &&
    fail "$other read the root-only file claiming uid $claimed: $out"
  out=$(timeout 60 runuser -u "$other" -- nfs-ls "$(url / "$claimed")" 2>&1) &&
    fail "$other listed the export claiming uid $claimed: $out"
  echo planted > "$work/planted"
  chmod 644 "$work/planted"
  out=$(timeout 60 runuser -u "$other" -- nfs-cp "$work/planted" "$(url /planted "$claimed")" 2>&1) &&
    fail "$other wrote to the disk claiming uid $claimed: $out"
done
pass "another local user reads, lists and writes nothing, whatever uid it claims"
grep -q "forwards: refused a connection from 127.0.0.1:[0-9]*: its socket belongs to uid $other_uid" \
  ~/.anylinuxfs/logs/latest.log || fail "no log line names uid $other_uid"
pass "each refusal is logged with the uid"
expect_eq "root only" "$(cat "$work/mnt/secret.txt")" "the owner's mount point still works"

# A setuid-root program copied onto the disk does not run as root through the mount
# point (nosuid), for a user that can reach it (allow_other: root's mount).
cp /usr/bin/id "$work/mnt/suid-id"
chmod 4755 "$work/mnt/suid-id"
expect_eq "4755" "$(stat -c %a "$work/mnt/suid-id")" "the setuid bit is on the disk"
euid=$(runuser -u "$other" -- "$work/mnt/suid-id" -u) || fail "the copied id did not run"
expect_eq "$other_uid" "$euid" "a setuid-root binary on the disk runs with the caller's uid"
"$ALFS" unmount -w "$work/mnt" >/dev/null
image_cat "$work/disk.img" /planted | grep -q planted && fail "the planted file is on the disk"
pass "nothing of $other reached the disk"
fsck_clean "$work/disk.img"
no_instances_left
