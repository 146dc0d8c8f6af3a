#!/bin/bash
# pkg add puts a Debian package into the guest image and the user's config, so `init`
# keeps it; a package Debian does not have leaves the config as it was; the user's CA
# bundle (~/.anylinuxfs/ca-certificates.crt) is trusted in the guest after `init`.
# Its own image cache: the shared one stays the default image.
. "$(dirname "$0")/lib.sh"
export HOME=$work/home ALFS_IMAGE_DIR=$work/image
mkdir -p "$HOME"

"$ALFS" pkg add tree >"$work/add.out" 2>&1 || { cat "$work/add.out"; fail "pkg add tree"; }
expect_eq "tree" "$("$ALFS" pkg list)" "pkg list shows it"
expect_contains "$(cat "$HOME/.anylinuxfs/config.toml")" 'custom_packages = ["tree"]' "recorded in the user config"
expect_eq "/usr/bin/tree" "$("$ALFS" shell -c 'command -v tree')" "the guest has it"

openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=alfs-e2e-ca" -days 2 \
  -keyout "$work/ca.key" -out "$HOME/.anylinuxfs/ca-certificates.crt" 2>/dev/null
"$ALFS" init >"$work/init.out" 2>&1 || { cat "$work/init.out"; fail "init"; }
expect_eq "/usr/bin/tree" "$("$ALFS" shell -c 'command -v tree')" "init keeps the package"
subject=$("$ALFS" shell -c 'openssl x509 -noout -subject -in /usr/local/share/ca-certificates/anylinuxfs/user-001.crt 2>/dev/null ||
  grep -c BEGIN /usr/local/share/ca-certificates/anylinuxfs/user-001.crt')
case "$subject" in *alfs-e2e-ca*|1) pass "the CA bundle is in the guest's store" ;; *) fail "CA bundle missing: $subject" ;; esac
"$ALFS" shell -c 'grep -q "$(sed -n 2p /usr/local/share/ca-certificates/anylinuxfs/user-001.crt)" /etc/ssl/certs/ca-certificates.crt' ||
  fail "the certificate is not in the trusted bundle"
pass "and in the trusted bundle"

before=$(cat "$HOME/.anylinuxfs/config.toml")
# apt finds out only after the essential packages are unpacked: a build's first minutes.
RUN_TIMEOUT=600 run_failing "$ALFS" pkg add alfs-no-such-package
expect_contains "$out" "building the guest image failed" "an unknown package fails the build"
expect_contains "$out" "is left as it was" "and says the config is unchanged"
expect_eq "$before" "$(cat "$HOME/.anylinuxfs/config.toml")" "the config is unchanged"
run_failing "$ALFS" pkg del vim
expect_contains "$out" "'vim' is not among the guest's extra packages" "del of a package never added"
