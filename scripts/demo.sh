#!/bin/sh
# README command 1: install, build, build the guest image if missing, make a small
# ext4 demo image, mount it through the VM, use it, unmount, check it.
set -eu
. "$(dirname "$0")/prepare.sh"
alfs=$PWD/build/bin/anylinuxfs

demo=/var/tmp/anylinuxfs-demo
rm -rf "$demo"; mkdir -p "$demo/seed"
echo "Hello from an ext4 filesystem mounted through a Linux microVM." > "$demo/seed/README.txt"
truncate -s 256M "$demo/demo.img"
mkfs.ext4 -q -L alfs-demo -d "$demo/seed" "$demo/demo.img"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
step anylinuxfs "$demo/demo.img"
"$alfs" -v "$demo/demo.img"
mp=/mnt/alfs-demo
step anylinuxfs status;               "$alfs" status
step cat "$mp/README.txt";            cat "$mp/README.txt"
step cp /etc/os-release "$mp/";       cp /etc/os-release "$mp/"
step ls -l "$mp";                     ls -l "$mp"
step anylinuxfs unmount "$mp" -w;     "$alfs" unmount "$mp" -w
step e2fsck -fn "$demo/demo.img";     e2fsck -fn "$demo/demo.img"
step debugfs -R "cat /os-release" "$demo/demo.img"
debugfs -R "cat /os-release" "$demo/demo.img" 2>/dev/null | head -n 2
printf '\ndemo: the file written through the mount is in the image, and the filesystem is clean.\n'
