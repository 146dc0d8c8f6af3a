#!/bin/sh
# README command 2: install dependencies, build, run the unit and end-to-end tests.
# The end-to-end tests boot real VMs; the first one builds the guest image when it
# is missing (tests share /var/cache/anylinuxfs/image; rebuilt when its inputs change).
set -eu
. "$(dirname "$0")/prepare.sh"
# The macOS cross toolchain, for the test that builds the macOS binary.
./scripts/install-zig.sh >/dev/null
cd build
# e2e tests hold a resource lock: they never run two VMs at once.
ctest --output-on-failure -j2 "$@"
# Then the fuzz smoke: each libFuzzer target (fuzz/README.md) for 60 s, about 4 minutes.
../fuzz/run.sh 60
