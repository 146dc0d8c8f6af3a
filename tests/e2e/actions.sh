#!/bin/bash
# Custom actions: scripts before and after the mount and before the unmount, in order,
# with the ALFS_* variables, the action's environment and captured host variables; their
# output in the instance log; a failing script stops the mount with its words;
# override_nfs_export; nfs_export_subdirs (a filesystem the scripts mount below the export
# is seen through the mount); required_os; a diskless action; `actions` lists them.
. "$(dirname "$0")/lib.sh"
export HOME=$work/home  # the user config of this test only
mkdir -p "$HOME/.anylinuxfs" "$work/seed/inner" "$work/mnt"
cat > "$HOME/.anylinuxfs/config.toml" <<'TOML'
[custom_actions.mark]
description = "leaves marks around the mount"
before_mount = 'echo "before $ALFS_VM_DEVICE $ALFS_VM_FSTYPE $GREETING $CAPTURED" > /run/marks; echo before-output'
after_mount = 'echo after >> /run/marks; cp /run/marks "$ALFS_VM_MOUNT_POINT/marks-at-mount.txt"'
before_unmount = 'echo unmount >> /run/marks; cp /run/marks "$ALFS_VM_MOUNT_POINT/marks-at-unmount.txt"'
environment = ["GREETING=hello"]
capture_environment = ["CAPTURED"]

[custom_actions.sub]
description = "exports a subdirectory of the disk"
override_nfs_export = "/mnt/disk/inner"

[custom_actions.fails]
description = "refuses"
before_mount = 'echo "no repository here" >&2; exit 3'

[custom_actions.etc]
description = "the guest's own /etc"
override_nfs_export = "/etc"

[custom_actions.nested]
description = "a tmpfs below the mount"
after_mount = 'mkdir -p "$ALFS_VM_MOUNT_POINT/scratch" && mount -t tmpfs -o size=1m scratch "$ALFS_VM_MOUNT_POINT/scratch" && echo in-tmpfs > "$ALFS_VM_MOUNT_POINT/scratch/t.txt"'
before_unmount = 'umount "$ALFS_VM_MOUNT_POINT/scratch"'
nfs_export_subdirs = ["scratch"]

[custom_actions.bsd]
description = "for the Rust tool's FreeBSD guest"
required_os = "freebsd"
TOML
echo "inside the subdirectory" > "$work/seed/inner/file.txt"
make_ext4 "$work/disk.img" alfs-e2e-act 64M "$work/seed"

expect_eq "bsd: for the Rust tool's FreeBSD guest
etc: the guest's own /etc
fails: refuses
mark: leaves marks around the mount
nested: a tmpfs below the mount
sub: exports a subdirectory of the disk" "$("$ALFS" actions)" "actions lists names and descriptions"

CAPTURED=from-host "$ALFS" -a mark "$work/disk.img" "$work/mnt" >/dev/null
expect_eq "before /dev/vda ext4 hello from-host
after" "$(cat "$work/mnt/marks-at-mount.txt")" "before_mount then after_mount, with the variables"
expect_contains "$("$ALFS" log)" "before_mount: before-output" "script output in the instance log"
"$ALFS" unmount -w "$work/mnt" >/dev/null
expect_eq "before /dev/vda ext4 hello from-host
after
unmount" "$(image_cat "$work/disk.img" /marks-at-unmount.txt)" "before_unmount ran last, on the mounted disk"
fsck_clean "$work/disk.img"

"$ALFS" -a sub "$work/disk.img" "$work/mnt" >/dev/null
expect_eq "inside the subdirectory" "$(cat "$work/mnt/file.txt")" "override_nfs_export: the subdirectory is the mount"
"$ALFS" unmount -w "$work/mnt" >/dev/null

# Without its own export the tmpfs would be hidden: the disk's empty directory would show.
"$ALFS" -a nested "$work/disk.img" "$work/mnt" >/dev/null
expect_eq "in-tmpfs" "$(cat "$work/mnt/scratch/t.txt")" "nfs_export_subdirs: the script's tmpfs is seen through the mount"
echo "on the disk" > "$work/mnt/disk.txt"
"$ALFS" unmount -w "$work/mnt" >/dev/null
expect_eq "on the disk" "$(image_cat "$work/disk.img" /disk.txt)" "the parent export still writes to the disk"
expect_eq "" "$(image_cat "$work/disk.img" /scratch/t.txt)" "and the tmpfs's file never reached it"

run_failing "$ALFS" -a bsd "$work/disk.img" "$work/mnt"
expect_contains "$out" "custom action 'bsd' is for a freebsd guest (required_os); anylinuxfs boots a Linux guest" \
  "an action for another guest OS is refused"
no_instances_left

run_failing "$ALFS" -a fails "$work/disk.img" "$work/mnt"
expect_contains "$out" "before_mount" "a failing script names its step"
expect_contains "$out" "no repository here" "and carries its words"
no_instances_left

"$ALFS" -a etc "$work/mnt" >/dev/null
expect_contains "$(cat "$work/mnt/debian_version")" "12." "a diskless action exports the guest's /etc"
expect_contains "$("$ALFS" status)" "action:etc on $work/mnt" "status names the action"
"$ALFS" unmount -w "$work/mnt" >/dev/null

run_failing "$ALFS" -a nope "$work/disk.img" "$work/mnt"
expect_contains "$out" "unknown custom action 'nope' (defined: bsd, etc, fails, mark, nested, sub" "an unknown action lists the defined ones"
no_instances_left
fsck_clean "$work/disk.img"
