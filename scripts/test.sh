#!/bin/sh
# README command 2: install dependencies, build, run the unit and end-to-end tests.
# The end-to-end tests boot real VMs; the first one builds the guest image when it
# is missing (cached in /var/cache/anylinuxfs/image, rebuilt when its inputs change).
set -eu
# Root is needed (packages, the guest image build, the tests' own test user and mounts).
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "$0: run as root" >&2; exit 1; }
  exec sudo "$0" "$@"
fi
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
cd build
# e2e tests hold a resource lock: they never run two VMs at once.
ctest --output-on-failure -j2 "$@"
