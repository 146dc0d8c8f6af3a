#!/bin/busybox sh
# /init of the VM that builds the guest image where the host has no mmdebstrap
# (src/image/bootstrap_vm.h). The host put into this initramfs busybox, the kernel's
# modules for virtio, Debian's packages of a build system (/debs) and the build script
# with its inputs (/build). This unpacks the packages into a tmpfs, as debootstrap's
# first stage does (no maintainer scripts: the build system runs only mmdebstrap and
# the script's tools), runs the script there as root, and writes its result as a tar
# onto the VM's disk: a file "status" (the script's exit code) and the image's files.
/bin/busybox mkdir -p /proc /sys /dev /tmp /target /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

finish() {  # exit-code
  mkdir -p /target/out
  echo "$1" > /target/out/status
  (cd /target/out && tar -c -f /dev/vda status $(ls kernel initrd.img rootfs.img manifest.txt 2>/dev/null)) ||
    echo "build VM: cannot write the result"
  sync
  poweroff -f
}
fail() { echo "build VM: $*"; finish 1; }

for m in /lib/modules/*.ko; do insmod "$m" || fail "cannot load $m"; done
i=0
until [ -b /dev/vda ] && [ -e /sys/class/net/eth0 ]; do
  i=$((i + 1)); [ $i -gt 500 ] && fail "no disk or network device"
  usleep 10000
done
# QEMU's user-mode network: fixed addresses, its DNS relay at .3.
ip link set lo up && ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 &&
  ip route add default via 10.0.2.2 || fail "cannot configure the network"

echo "[0/4] unpacking the build system ($(ls /debs | wc -l) packages)"
mount -t tmpfs -o size=90%,mode=0755 target /target || fail "cannot mount a tmpfs"
# Debian's merged /usr, as debootstrap makes it.
for d in bin sbin lib lib64; do mkdir -p /target/usr/$d && ln -s usr/$d /target/$d; done
for deb in /debs/*.deb; do
  dpkg-deb -x "$deb" /target || fail "cannot unpack $deb"
  rm "$deb"
done
# What the packages' scripts would have made and the build uses.
cp /target/usr/share/base-passwd/passwd.master /target/etc/passwd &&
  cp /target/usr/share/base-passwd/group.master /target/etc/group || fail "no base-passwd"
[ -e /target/usr/bin/awk ] || ln -s mawk /target/usr/bin/awk
chroot /target /sbin/ldconfig || fail "ldconfig failed"
echo "nameserver 10.0.2.3" > /target/etc/resolv.conf
mkdir -p /target/proc /target/sys /target/dev /target/tmp /target/var/tmp /target/root
mount -t proc proc /target/proc && mount -t sysfs sys /target/sys && mount -t devtmpfs dev /target/dev &&
  mkdir -p /target/dev/pts /target/dev/shm && mount -t devpts devpts /target/dev/pts &&
  mount -t tmpfs shm /target/dev/shm || fail "cannot mount the build system's /proc, /sys and /dev"
cp -r /build /target/build
# Through a pipe: the console is a terminal, to which mmdebstrap would write colours.
{
  chroot /target /bin/sh -c '. /build/env && cd / && exec sh /build/build-guest-image.sh /out /build/guest-packages.txt' 2>&1
  echo $? > /tmp/status
} | cat
finish "$(cat /tmp/status)"
