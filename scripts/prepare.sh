# Sourced by demo.sh and test.sh (the README's two commands): become root (re-running
# the caller with sudo when needed: packages, the guest image build, the tests' own
# test user and mounts all need it), install the dependencies, build.
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "$0: run as root" >&2; exit 1; }
  exec sudo "$0" "$@"
fi
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
