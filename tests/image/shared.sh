#!/bin/bash
# The e2e tests' shared guest image, built into $ALFS_IMAGE_DIR when that cache has none
# for this anylinuxfs: a ctest fixture, so it builds beside the unit tests and every e2e
# test finds it ready. Fails when the build fails or leaves no image in use.
# Usage: shared.sh [arm64]: with arm64, the arm64 guest's (`image build --arch arm64`).
set -euo pipefail
ALFS=${ALFS:?set ALFS to the anylinuxfs binary}
: "${ALFS_IMAGE_DIR:?set ALFS_IMAGE_DIR to the tests image cache}"
# A home of its own: no user config (extra packages, the ZFS variant) changes the image.
arch=${1:-}
home=$(mktemp -d /var/tmp/alfs-image-home.XXXXXX)
trap 'rm -rf "$home"' EXIT
in_use() {
  # The image a mount with ALFS_GUEST_ARCH=$arch would boot ("": the machine's).
  HOME=$home ALFS_GUEST_ARCH=$arch "$ALFS" image list --json | jq -e 'any(.images[]; .in_use and .variant == "default")' >/dev/null
}

if in_use; then
  echo "ok: the image is in $ALFS_IMAGE_DIR"
  exit 0
fi
start=$SECONDS
HOME=$home env -u ALFS_GUEST_ARCH "$ALFS" image build ${arch:+--arch "$arch"}
in_use || { echo "FAIL: image build left no image in use in $ALFS_IMAGE_DIR" >&2; exit 1; }
echo "ok: built the image in $((SECONDS - start)) s"
