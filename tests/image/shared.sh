#!/bin/bash
# The e2e tests' shared guest image of one variant (default|zfs), built into
# $ALFS_IMAGE_DIR when that cache has none for this anylinuxfs: a ctest fixture, so the
# tests that boot it find it ready. The ZFS variant (zfs-dkms compiles for minutes) is
# built at the lowest CPU priority while the other end-to-end tests run their VMs, which
# keeps a fresh machine's CI within its time. Fails when the build fails or leaves no
# image in use for the variant.
set -euo pipefail
ALFS=${ALFS:?set ALFS to the anylinuxfs binary}
: "${ALFS_IMAGE_DIR:?set ALFS_IMAGE_DIR to the tests image cache}"
variant=${1:?usage: shared.sh default|zfs}
home=$(mktemp -d /var/tmp/alfs-image-home.XXXXXX)
trap 'rm -rf "$home"' EXIT
# A home of its own: `image build --with-zfs` records the variant in the user's config.
mkdir -p "$home/.anylinuxfs"
build=(image build)
priority=0
case $variant in
  default) ;;
  zfs)
    printf '[guest]\nzfs = true\n' >"$home/.anylinuxfs/config.toml"
    build+=(--with-zfs)
    priority=19
    ;;
  *) echo "unknown variant $variant" >&2; exit 2 ;;
esac
in_use() {
  HOME=$home "$ALFS" image list --json |
    jq -e --arg v "$variant" 'any(.images[]; .in_use and .variant == $v)' >/dev/null
}

if in_use; then
  echo "ok: the $variant image is in $ALFS_IMAGE_DIR"
  exit 0
fi
start=$SECONDS
HOME=$home nice -n "$priority" "$ALFS" "${build[@]}"
in_use || { echo "FAIL: image build left no $variant image in use in $ALFS_IMAGE_DIR" >&2; exit 1; }
echo "ok: built the $variant image in $((SECONDS - start)) s"
