#!/bin/bash
# list with the guest's eyes: a volume group over two images and one on a single image,
# a RAID1 pair, LVM inside LUKS (only with -d), as synthetic disks whose identifiers
# mount accepts as they are; a wrong passphrase is an error on that disk alone.
. "$(dirname "$0")/lib.sh"
cd "$work"
truncate -s 128M s1.img s2.img; truncate -s 400M pv.img; truncate -s 128M r1.img r2.img luks.img
in_guest "pvcreate -q /dev/vda /dev/vdb /dev/vdc && vgcreate -q vgwide /dev/vda /dev/vdb && vgcreate -q vgone /dev/vdc &&
  lvcreate -q -l 100%FREE -n wide vgwide && mkfs.ext4 -q -L widefs /dev/vgwide/wide &&
  lvcreate -q -L 40M -n first vgone && lvcreate -q -l 100%FREE -n second vgone &&
  mkfs.ext4 -q -L lv1 /dev/vgone/first && mkfs.xfs -q -L lv2 /dev/vgone/second &&
  mdadm --create -q /dev/md0 --level=1 --raid-devices=2 --metadata=1.2 --run /dev/vdd /dev/vde &&
  mkfs.ext4 -q -L raidfs /dev/md0 && mdadm --stop /dev/md0 &&
  printf listpass > /tmp/p && cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 /dev/vdf --key-file=/tmp/p &&
  cryptsetup open /dev/vdf cc --key-file=/tmp/p && pvcreate -q /dev/mapper/cc && vgcreate -q vgsecret /dev/mapper/cc &&
  lvcreate -q -l 100%FREE -n inner vgsecret && mkfs.ext4 -q -L innerfs /dev/vgsecret/inner &&
  vgchange -q -an vgwide vgone vgsecret && cryptsetup close cc" s1.img s2.img pv.img r1.img r2.img luks.img >/dev/null

sizes() { sed -E 's/[*+ ][0-9]+\.[0-9] [KMGT]?B +/ SIZE /'; }
"$ALFS" list s1.img s2.img pv.img r1.img r2.img luks.img | sizes > list.out
cat > list.expected <<'TABLE'
s1.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                LVM2_member                         SIZE s1.img

s2.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                LVM2_member                         SIZE s2.img

pv.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                LVM2_member                         SIZE pv.img

r1.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:          linux_raid_member anylinuxfs:0            SIZE r1.img

r2.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:          linux_raid_member anylinuxfs:0            SIZE r2.img

luks.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                crypto_LUKS                         SIZE luks.img

raid:r1.img:r2.img (volume):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                       ext4 raidfs                  SIZE raid:r1.img:r2.img

lvm:vgone (volume group):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   1:                       ext4 lv1                     SIZE lvm:vgone:pv.img:first
   2:                        xfs lv2                     SIZE lvm:vgone:pv.img:second

lvm:vgwide (volume group):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   1:                       ext4 widefs                  SIZE lvm:vgwide:s1.img:s2.img:wide
TABLE
diff -u list.expected list.out || fail "list with volume groups and arrays"
pass "volume groups and the array as synthetic disks (golden, sizes normalised)"

ALFS_PASSPHRASE=listpass "$ALFS" list -d all luks.img > list-d.out
expect_contains "$(cat list-d.out)" "crypto_LUKS: LVM2_member" "-d: the container says what it holds"
expect_contains "$(cat list-d.out)" "lvm:vgsecret:luks.img:inner" "-d: the volume group inside LUKS"
ALFS_PASSPHRASE=listpass "$ALFS" list --json -d all luks.img > list-d.json
expect_eq "volume_group lvm:vgsecret:luks.img:inner ext4" \
  "$(jq -r '.disks[1] | "\(.kind) \(.volumes[0].identifier) \(.volumes[0].type)"' list-d.json)" "--json: the synthetic disk"
expect_eq "LVM2_member" "$(jq -r '.disks[0].volumes[0].inside.type' list-d.json)" "--json: inside"

set +e
ALFS_PASSPHRASE=wrong "$ALFS" list -d luks.img luks.img pv.img > wrong.out 2>&1
rc=$?
set -e
expect_eq 1 "$rc" "a wrong passphrase: exit 1"
expect_contains "$(cat wrong.out)" "error: luks.img: No key available with this passphrase." "the error is on that disk"
expect_contains "$(cat wrong.out)" "lvm:vgone:pv.img:second" "the other disks are still listed"

# What list prints, mount takes as it is.
mkdir mnt
round_trip "lvm:vgwide:s1.img:s2.img:wide" "$work/mnt"
round_trip "raid:r1.img:r2.img" "$work/mnt"
no_instances_left
