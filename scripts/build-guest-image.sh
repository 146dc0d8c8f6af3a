#!/bin/sh
# Builds the guest image from Debian packages only:
#   <out>/kernel       bookworm-backports kernel (6.12): on x86 unpacked from its bzImage
#   <out>/initrd.img   busybox + the modules needed to reach the root disk (uncompressed cpio)
#   <out>/rootfs.img   read-only ext4 root with the storage tools
#   The agent is not part of it: the CLI appends it to the initrd at every boot
#   (image/boot_initrd.h), and stage 1 hands over to it.
#   <out>/manifest.txt what went in
# Usage: build-guest-image.sh <out-dir> <package-list>
#        build-guest-image.sh --check: exits 0 when it can build here, else says why
#        (the CLI then builds in a VM of its own, src/image/bootstrap_vm.h)
#   ALFS_EXTRA_PACKAGES  the user's packages (`anylinuxfs pkg add`), comma-separated
#   ALFS_CA_BUNDLE       PEM certificates the guest trusts besides Debian's
#   ALFS_GUEST_ARCH      x86_64 or aarch64 (default: the host's). Another than the host's
#                        runs the packages' maintainer scripts under qemu-user (binfmt_misc:
#                        scripts/install-deps.sh registers it), several times slower
#   ALFS_WITH_ZFS=1      the ZFS variant: OpenZFS from bookworm-backports contrib, its
#                        modules built by zfs-dkms for the image's kernel (about 8 minutes,
#                        once per kernel and ZFS version: kept in ALFS_ZFS_CACHE)
# Runs as root: mmdebstrap directory output keeps ownership only in root mode. Run by
# another user, it runs itself again as root of a new user namespace where the user's
# /etc/subuid and /etc/subgid ranges are ids 1..65535 (as podman does), so the files
# get the same owners as in a root build; its outputs are the user's.
set -eu
# mkfs.ext4, chroot and depmod live in /usr/sbin, which Debian leaves out of a user's PATH.
PATH=$PATH:/usr/sbin:/sbin
export PATH
if [ "${1:-}" = --check ]; then check=1; else check= out=$1 pkglist=$2; fi
mirror=${ALFS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
guest_arch=${ALFS_GUEST_ARCH:-$(uname -m)}
case $guest_arch in
  x86_64 | amd64) guest_arch=x86_64 deb_arch=amd64 ;;
  aarch64 | arm64) guest_arch=aarch64 deb_arch=arm64 ;;
  *) echo "no guest image for the architecture $guest_arch (x86_64 or aarch64)" >&2; exit 1 ;;
esac
# The full (not cloud) flavour: it has every filesystem driver (f2fs, hfsplus, ...);
# its virtio and ext4 modules are loaded by stage 1.
kernel_pkg=${ALFS_KERNEL_PACKAGE:-linux-image-$deb_arch}
# The label stage 1 looks for; unusual enough not to collide with a user's disk.
root_label=alfs-guest-root

for tool in mmdebstrap mkfs.ext4 cpio xz; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install-deps.sh" >&2; exit 1; }
done
if [ "$guest_arch" != "$(uname -m)" ] && ! grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$guest_arch" 2>/dev/null; then
  echo "building an $guest_arch guest image on this $(uname -m) host runs its packages' scripts under" \
    "qemu-user, and the kernel has no binfmt_misc handler for $guest_arch: run scripts/install-deps.sh" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  user=$(id -un) uid=$(id -u)
  # Debian's packages own files as ids up to 65534 (nogroup): the user's first range
  # (the one unshare maps) must reach that far.
  for f in /etc/subuid /etc/subgid; do
    count=$(awk -F: -v u="$user" -v i="$uid" '$1 == u || $1 == i { print $3; exit }' "$f" 2>/dev/null)
    [ "${count:-0}" -ge 65536 ] || {
      echo "building the guest image without root needs 65536 subordinate ids for $user in $f" \
        "(has ${count:-none}): ask an administrator to run \`usermod --add-subuids 100000-165535" \
        "--add-subgids 100000-165535 $user\` (a range no other user has), or build as root" >&2
      exit 1
    }
  done
  for tool in newuidmap newgidmap; do
    command -v "$tool" >/dev/null || { echo "missing $tool (package uidmap): run scripts/install-deps.sh" >&2; exit 1; }
  done
  unshare --user --map-root-user true 2>/dev/null || {
    echo "building the guest image without root needs user namespaces, which this kernel does not" \
      "allow (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone): enable them or build as root" >&2
    exit 1
  }
  # --pid: mmdebstrap mounts a proc of its own. --kill-child: when unshare is killed,
  # the build inside is told to stop and cleans up (after its current step, as a root
  # build does): only root of that namespace can remove the files it made. The one
  # difference from a root build: /dev in the root stays empty (no mknod in a user
  # namespace), which stage 1 covers with a devtmpfs anyway.
  [ -z "$check" ] || exit 0
  exec unshare --map-root-user --map-auto --mount --pid --fork --kill-child=TERM -- sh "$0" "$@"
fi
[ -z "$check" ] || exit 0

work=$(mktemp -d "${TMPDIR:-/var/tmp}/alfs-image.XXXXXX")
# mmdebstrap mounts the host's /dev/pts, /dev/shm, /proc and /sys into the root while
# it works; if it is stopped halfway they may stay: unmount them, and never let rm cross
# into another filesystem.
cleanup() {
  findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
root=$work/root

pkgs=$(grep -v '^[[:space:]]*#' "$pkglist" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
extra=${ALFS_EXTRA_PACKAGES:-}
ca_bundle=${ALFS_CA_BUNDLE:-}
[ -n "$extra" ] && pkgs="$pkgs,$extra"
[ -n "$ca_bundle" ] && pkgs="$pkgs,ca-certificates"
components=main
zfs_hook=true
if [ "${ALFS_WITH_ZFS:-0}" = 1 ]; then
  # OpenZFS's tools come from bookworm-backports contrib (they must match the 6.12
  # kernel's modules). The modules are compiled by zfs-dkms against the kernel's headers
  # only when ALFS_ZFS_CACHE has none for this kernel and ZFS version; then dkms, the
  # compilers and headers go again, so the image carries only what runs.
  headers_pkg=$(echo "$kernel_pkg" | sed 's/^linux-image-/linux-headers-/')
  for p in zfsutils-linux libnvpair3linux libuutil3linux libzfs6linux libzpool6linux; do
    pkgs="$pkgs,$p/bookworm-backports"
  done
  components="main contrib"
  zfs_cache=${ALFS_ZFS_CACHE:?ALFS_ZFS_CACHE names where the compiled ZFS modules are kept}
  export zfs_cache headers_pkg
  zfs_hook='set -e
    kver=$(ls "$1/lib/modules" | sort -V | tail -n 1)
    zver=$(chroot "$1" dpkg-query -W -f="\${Version}" zfsutils-linux)
    cached="$zfs_cache/zfs-$zver-$kver.tar"
    if [ ! -f "$cached" ]; then
      echo "      compiling the ZFS $zver modules for $kver (once: they are kept in $zfs_cache)"
      chroot "$1" apt-get install -y -q --no-install-recommends "zfs-dkms/bookworm-backports" "$headers_pkg/bookworm-backports" >/dev/null
      built="$1/lib/modules/$kver/updates/dkms"
      [ -n "$(ls "$built"/zfs.ko* 2>/dev/null)" ] || { echo "zfs-dkms built no module for $kver" >&2; exit 1; }
      mkdir -p "$zfs_cache"
      tar -C "$built" -cf "$cached.partial" . && mv "$cached.partial" "$cached"
      # apt never auto-removes the running kernel'"'"'s headers: they are named here.
      chroot "$1" apt-get purge -y -q zfs-dkms dkms "$headers_pkg" "^linux-headers-" "^linux-kbuild-" >/dev/null
      chroot "$1" apt-get autoremove --purge -y -q >/dev/null
    fi
    mkdir -p "$1/lib/modules/$kver/extra/zfs"
    tar -C "$1/lib/modules/$kver/extra/zfs" -xf "$cached"
    chroot "$1" depmod "$kver"'
fi

echo "[1/4] debootstrapping Debian bookworm (minbase + $(echo "$pkgs" | tr ',' '\n' | wc -l) packages + $kernel_pkg from backports)"
# INITRD=No: the kernel boots without an initramfs (root is ext4 on virtio, both built in).
INITRD=No mmdebstrap --variant=minbase --mode=root --architectures="$deb_arch" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --include="$pkgs,$kernel_pkg/bookworm-backports" \
  --customize-hook="$zfs_hook" \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
  bookworm "$root" \
  "deb $mirror bookworm $components" \
  "deb $mirror bookworm-backports $components"

echo "[2/4] preparing the root for the agent"
kver=$(ls "$root"/lib/modules | sort -V | tail -n 1)
# Module files for the wanted names and everything they depend on, in load order.
module_closure() {
  awk -v want="$*" '
    function key(p,  n) { n = p; sub(".*/", "", n); sub("[.]ko.*", "", n); gsub("-", "_", n); return n }
    function visit(p,  d, n, i) {
      if (seen[p]++) return
      n = split(deps[p], d, " ")
      for (i = 1; i <= n; i++) visit(d[i])
      print p
    }
    { sub(":", "", $1); deps[$1] = ""; for (i = 2; i <= NF; i++) deps[$1] = deps[$1] " " $i; path[key($1)] = $1 }
    END { n = split(want, w, " "); for (i = 1; i <= n; i++) if (w[i] in path) visit(path[w[i]]) }
  ' "$root/lib/modules/$kver/modules.dep"
}
# A module's appended signature, dropped: the guest loads no keys to check it with
# (the kernel command line skips them, see src/vm/kernel_params.cc), but would still
# hash every signed module it loads, emulated. Its modules come from this read-only image.
unsign_module() {
  size=$(stat -c %s "$1")
  [ "$(tail -c 28 "$1")" = "~Module signature appended~" ] || return 0
  # struct module_signature (12 bytes, the signature's length last, big-endian), the marker.
  siglen=$(od -An -tu1 -j $((size - 32)) -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
  truncate -s $((size - 40 - siglen)) "$1"
}
# The agent loads these at every mount: stored uncompressed, modprobe does not unpack
# them (xz under TCG: most of the time of loading them), and unsigned.
for m in $(module_closure virtio_net nfsd); do
  ko=$root/lib/modules/$kver/${m%.ko*}.ko
  case "$m" in
    *.xz) xz -d "$root/lib/modules/$kver/$m" ;;
    *.zst) zstd -dq --rm "$root/lib/modules/$kver/$m" ;;
  esac
  unsign_module "$ko"
done
chroot "$root" depmod "$kver"
# On x86 the bzImage's payload is an ELF kernel with a PVH entry point, which QEMU loads
# and enters directly: the guest then skips unpacking itself, about 0.8 s of every boot
# under TCG. Any other kernel (arm64's, or a payload without PVH) is kept as it comes.
unpacked_kernel() {
  bz=$1
  [ "$(dd if="$bz" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] || return 1
  command -v readelf >/dev/null || return 1
  setup=$(od -An -tu1 -j 497 -N1 "$bz" | tr -d ' ')
  [ "$setup" = 0 ] && setup=4
  offset=$(( (setup + 1) * 512 + $(od -An -tu4 -j 584 -N4 "$bz" | tr -d ' ') ))
  length=$(od -An -tu4 -j 588 -N4 "$bz" | tr -d ' ')
  # Kbuild appends the unpacked size (4 bytes) to zstd and xz payloads.
  case $(od -An -tx1 -j "$offset" -N4 "$bz" | tr -d ' ') in
    28b52ffd) unpack="zstd -dcq" length=$((length - 4)) ;;
    fd377a58) unpack="xz -dc" length=$((length - 4)) ;;
    1f8b08*) unpack="gzip -dc" ;;
    *) return 1 ;;
  esac
  tail -c +$((offset + 1)) "$bz" | head -c "$length" | $unpack > "$2" 2>/dev/null || return 1
  # Note type 18: XEN_ELFNOTE_PHYS32_ENTRY, the PVH entry point.
  readelf -n "$2" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'
}
if ! unpacked_kernel "$root/boot/vmlinuz-$kver" "$work/kernel"; then
  cp "$root/boot/vmlinuz-$kver" "$work/kernel"
fi
rm -rf "$root"/boot/* "$root"/initrd.img* "$root"/vmlinuz*
# Stage 1 mounts a tmpfs here and copies the agent from the initrd into it.
mkdir -p "$root/opt/anylinuxfs"
mkdir -p "$root/mnt/disk"
# LVM archives metadata under /etc/lvm; the agent mounts tmpfs on these (the root is read-only).
mkdir -p "$root/etc/lvm/archive" "$root/etc/lvm/backup"
# There is no udev in the guest: device-mapper nodes are made by the tools themselves.
cat >> "$root/etc/lvm/lvmlocal.conf" <<'LVM'
activation {
	udev_sync = 0
	udev_rules = 0
}
LVM
# The agent writes the exports itself; daemons must not start from init scripts.
: > "$root/etc/exports"
if [ -n "$ca_bundle" ]; then
  # One certificate per file, as update-ca-certificates expects.
  mkdir -p "$root/usr/local/share/ca-certificates/anylinuxfs"
  awk -v dir="$root/usr/local/share/ca-certificates/anylinuxfs" '
    /-----BEGIN CERTIFICATE-----/ { n++; file = sprintf("%s/user-%03d.crt", dir, n) }
    file { print > file }
    /-----END CERTIFICATE-----/ { close(file); file = "" }
  ' "$ca_bundle"
  chroot "$root" update-ca-certificates >/dev/null
fi

echo "[3/4] making the initrd"
# Stage 1 loads what it needs to reach the root disk (virtio-mmio, virtio-blk, ext4:
# built in or modules depending on the kernel flavour), mounts the root read-only
# (found by the label given as alfs_root=LABEL=... on the kernel command line) and
# hands over to the agent, which the CLI appended to this initrd as a second archive.
ird=$work/initrd
mkdir -p "$ird/bin" "$ird/lib/modules" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/newroot"
cp "$root/bin/busybox" "$ird/bin/busybox"
i=10
# ext4 asks the crypto API for crc32c at mount time: a soft dependency modules.dep omits.
for m in $(module_closure virtio_mmio virtio_blk crc32c_generic ext4); do
  name=${m##*/}; name=${name%%.ko*}
  case "$m" in
    *.xz) xz -dc "$root/lib/modules/$kver/$m" ;;
    *.zst) zstd -dcq "$root/lib/modules/$kver/$m" ;;
    *) cat "$root/lib/modules/$kver/$m" ;;
  esac > "$ird/lib/modules/$i-$name.ko"
  unsign_module "$ird/lib/modules/$i-$name.ko"
  i=$((i + 1))
done
cat > "$ird/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t proc proc /proc
for m in /lib/modules/*.ko; do
  [ -e "$m" ] || continue
  /bin/busybox insmod "$m" || echo "stage1: cannot load $m"
done
i=0
while ! dev=$(/bin/busybox findfs "$alfs_root" 2>/dev/null); do
  i=$((i + 1)); [ $i -gt 500 ] && { echo "stage1: root disk $alfs_root not found"; /bin/busybox poweroff -f; }
  /bin/busybox usleep 10000
done
# The root is mounted through a name of its own, never /dev/vdX: a restored guest's disks
# take those names (src/guest/restore.h), and tools that look for their disk among the
# mounted filesystems (ntfs-3g, btrfs-progs) would find the root there.
set -- $(/bin/busybox stat -L -c '%t %T' "$dev")
/bin/busybox mknod /dev/alfs-root b $((0x$1)) $((0x$2)) && dev=/dev/alfs-root
/bin/busybox mount -t ext4 -o ro "$dev" /newroot || { echo "stage1: cannot mount $dev"; /bin/busybox poweroff -f; }
[ -x /anylinuxfs-agent ] || { echo "stage1: no agent in the initrd"; /bin/busybox poweroff -f; }
/bin/busybox mount -t tmpfs -o mode=0755 agent /newroot/opt/anylinuxfs &&
  /bin/busybox cp /anylinuxfs-agent /newroot/opt/anylinuxfs/ ||
  { echo "stage1: cannot install the agent"; /bin/busybox poweroff -f; }
/bin/busybox umount /proc
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot /opt/anylinuxfs/anylinuxfs-agent
INIT
chmod 0755 "$ird/init"
# Uncompressed: the kernel unpacks a gzipped one at boot, emulated.
(cd "$ird" && find . | cpio --quiet -o -H newc) > "$work/initrd.img"

echo "[4/4] packing the root filesystem"
size_kib=$(du -sk "$root" | cut -f1)
size_kib=$((size_kib + size_kib / 5 + 16384))
mkfs.ext4 -q -F -L "$root_label" -O ^has_journal -d "$root" "$work/rootfs.img" "${size_kib}k"

{
  # What the CLI relies on (src/image/guest_image.h, kImageFormat): 2 = the agent comes
  # in a second initrd archive and is installed on /opt/anylinuxfs by stage 1.
  echo "format 2"
  echo "arch $guest_arch"
  echo "kernel $kver"
  echo "packages $pkgs"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$work/manifest.txt"

mkdir -p "$out"
mv "$work/kernel" "$work/initrd.img" "$work/rootfs.img" "$work/manifest.txt" "$out/"
echo "guest image ready: kernel $kver, root $((size_kib / 1024)) MiB"
