#!/bin/bash
# The Debian package (scripts/build-deb.sh) installs the CLI, the agent, the image recipe,
# the man page, the completions, mount.anylinuxfs and the example config under /usr, and a mount runs from
# the installed path alone (no build tree involved); removing it removes them.
. "$(dirname "$0")/lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
tree=$(cd "$(dirname "$ALFS")/.." && pwd)
[ ! -e /usr/bin/anylinuxfs ] || fail "/usr/bin/anylinuxfs exists already: not ours to replace"
test_cleanup() { dpkg -r anylinuxfs >/dev/null 2>&1; }

deb=$("$src/scripts/build-deb.sh" --tree "$tree" "$work/deb")
dpkg -i "$deb" > "$work/dpkg.out" 2>&1 || { cat "$work/dpkg.out"; fail "dpkg -i $deb"; }
pass "the package installs"
for f in /usr/bin/anylinuxfs /usr/libexec/anylinuxfs/anylinuxfs-agent /usr/share/anylinuxfs/build-guest-image.sh \
  /usr/share/anylinuxfs/guest-packages.txt /usr/share/anylinuxfs/anylinuxfs.toml.example \
  /usr/share/man/man1/anylinuxfs.1 /usr/share/bash-completion/completions/anylinuxfs /usr/share/doc/anylinuxfs/LICENSE \
  /usr/share/zsh/vendor-completions/_anylinuxfs /usr/share/fish/vendor_completions.d/anylinuxfs.fish; do
  [ -f "$f" ] || fail "the package has no $f"
done
pass "with the CLI, agent, recipe, man page, completions and example config"
expect_eq "/usr/bin/anylinuxfs" "$(readlink -f /usr/sbin/mount.anylinuxfs)" "mount(8)'s helper is the installed CLI"
# fish finds its completion by itself, and it finds the bash one it runs from its own place.
expect_eq "image" "$(cd "$work" && fish -c 'complete -C "anylinuxfs im"' | cut -f1)" "fish completes from the installed files"
expect_eq "anylinuxfs" "$(dpkg -S /usr/bin/anylinuxfs | cut -d: -f1)" "dpkg owns the installed CLI"

# The installed CLI alone: its agent and recipe from /usr, the tests' image (the recipe
# is the same file, so the key is).
make_ext4 "$work/disk.img" alfs-e2e-deb 64M
mkdir "$work/mnt"
env -u ALFS_AGENT -u ALFS_SHARE_DIR /usr/bin/anylinuxfs "$work/disk.img" "$work/mnt" >/dev/null
echo "from the package" > "$work/mnt/deb.txt"
/usr/bin/anylinuxfs unmount -w "$work/mnt" >/dev/null
fsck_clean "$work/disk.img"
expect_eq "from the package" "$(image_cat "$work/disk.img" /deb.txt)" "the installed CLI mounts and writes"

dpkg -r anylinuxfs > /dev/null
[ ! -e /usr/bin/anylinuxfs ] && [ ! -L /usr/sbin/mount.anylinuxfs ] && [ ! -e /usr/libexec/anylinuxfs ] || fail "dpkg -r left files behind"
pass "dpkg -r removes it"
