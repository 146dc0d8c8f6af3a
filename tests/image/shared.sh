#!/bin/bash
# The e2e tests' shared guest image (with ALFS_GUEST_ARCH=arm64, the arm64 one), built into
# $ALFS_IMAGE_DIR when that cache has none for this anylinuxfs: a ctest fixture, so it
# builds beside the unit tests and every e2e test finds it ready. Fails when the build
# fails or leaves no image in use.
set -euo pipefail
ALFS=${ALFS:?set ALFS to the anylinuxfs binary}
: "${ALFS_IMAGE_DIR:?set ALFS_IMAGE_DIR to the tests image cache}"
# A home of its own: no user config (extra packages, the ZFS variant) changes the image.
home=$(mktemp -d /var/tmp/alfs-image-home.XXXXXX)
trap 'rm -rf "$home"' EXIT
in_use() {
  HOME=$home "$ALFS" image list --json | jq -e 'any(.images[]; .in_use and .variant == "default")' >/dev/null
}

if in_use; then
  echo "ok: the image is in $ALFS_IMAGE_DIR"
  exit 0
fi
start=$SECONDS
HOME=$home "$ALFS" image build
in_use || { echo "FAIL: image build left no image in use in $ALFS_IMAGE_DIR" >&2; exit 1; }
echo "ok: built the image in $((SECONDS - start)) s"
