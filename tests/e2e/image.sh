#!/bin/bash
# `image`: an image moved as one verified file. Exported from the tests' cache and
# imported by another user into an empty cache of their own, it serves their mounts; a
# damaged or truncated copy is refused and leaves the cache as it was. The system-wide
# cache serves a user with no image of their own, and only root itself writes it (not
# `sudo anylinuxfs`: every user boots what is there).
. "$(dirname "$0")/lib.sh"
user=alfs-e2e
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
uid=$(id -u "$user"); gid=$(id -g "$user")
fuse_mode=$(stat -c %a /dev/fuse)
crafted_key=00000000deadbeef
test_cleanup() {
  chmod "$fuse_mode" /dev/fuse
  as_user "$ALFS" stop -f >/dev/null 2>&1
  rm -rf "/var/cache/anylinuxfs/image/$crafted_key"
}
chmod o+rw /dev/fuse  # as on a stock Debian (0666); some containers make it 0600
# The user, with a home and an image cache of their own ($ALFS_IMAGE_DIR: no system-wide
# fallback) that start empty.
uhome=$work/home
mkdir -p "$uhome/cache"
chown -R "$user:" "$uhome"
user_env=(runuser -u "$user" -- env HOME="$uhome" ALFS_IMAGE_DIR="$uhome/cache")  # an array: run_failing takes it
as_user() { "${user_env[@]}" "$@"; }
members() { tar --zstd -tf "$1" | tr '\n' ' '; }

out=$("$ALFS" image export "$work/image.tar.zst")
expect_contains "$out" "exported to $work/image.tar.zst" "export reports the file"
expect_eq "key variant manifest.txt kernel initrd.img rootfs.img SHA256SUMS " "$(members "$work/image.tar.zst")" \
  "one archive: the image's files and their sums"
key=$(tar --zstd -xOf "$work/image.tar.zst" key)
in_use=$("$ALFS" image list --json | jq -r '.images[] | select(.in_use) | .name')
expect_eq "$in_use" "$key" "the image in use was exported"
chmod 644 "$work/image.tar.zst"

# A damaged copy: one byte flipped in the middle, and one cut short.
size=$(stat -c %s "$work/image.tar.zst")
cp "$work/image.tar.zst" "$work/flipped.tar.zst"
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$work/image.tar.zst" | tr -d ' ')
printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$work/flipped.tar.zst" bs=1 seek=$((size / 2)) conv=notrunc status=none
head -c $((size - 4096)) "$work/image.tar.zst" > "$work/short.tar.zst"
chmod 644 "$work"/*.tar.zst
expect_contains "$(as_user "$ALFS" image list)" "no guest image yet" "the user's cache starts empty"
for copy in flipped short; do
  run_failing "${user_env[@]}" "$ALFS" image import "$work/$copy.tar.zst"
  expect_contains "$out" "cannot import $work/$copy.tar.zst: " "the $copy copy is refused"
  expect_eq "" "$(ls -A "$uhome/cache")" "the refused $copy copy left the cache as it was"
done

out=$(as_user "$ALFS" image import "$work/image.tar.zst")
expect_eq "image $key imported into $uhome/cache" "$out" "the intact archive is imported"
expect_eq "true true $uid" "$(as_user "$ALFS" image list --json | jq -r '.images[0] | "\(.imported) \(.in_use)"') $(stat -c %u "$uhome/cache/$key/rootfs.img")" \
  "listed as imported and in use, the user's files"
# A CLI whose own key differs (the user's extra packages) boots the imported image too.
mkdir -p "$uhome/.anylinuxfs"
printf '[guest]\ncustom_packages = ["htop"]\n' > "$uhome/.anylinuxfs/config.toml"
chown -R "$user:" "$uhome/.anylinuxfs"
truncate -s 64M "$work/user.img"
mkfs.ext4 -q -L imgdisk -E root_owner="$uid:$gid" "$work/user.img"
chown "$user:" "$work/user.img"
as_user "$ALFS" "$work/user.img" "$uhome/mnt" >/dev/null
as_user sh -c "echo 'through an imported image' > '$uhome/mnt/i.txt'"
as_user "$ALFS" unmount -w "$uhome/mnt" >/dev/null
fsck_clean "$work/user.img"
expect_eq "through an imported image" "$(image_cat "$work/user.img" /i.txt)" "the user mounts and writes with it"
out=$(as_user "$ALFS" image remove "$key")
expect_eq "image $key removed from $uhome/cache" "$out" "remove"
expect_eq "" "$(ls -A "$uhome/cache" | grep -v '^\.' || true)" "the cache is empty again"

# The system-wide cache. The tests' cache is it when ALFS_IMAGE_DIR names it (the default).
system=/var/cache/anylinuxfs/image
if [ "$ALFS_IMAGE_DIR" = "$system" ]; then
  rm -f "$uhome/.anylinuxfs/config.toml"
  as_home() { runuser -u "$user" -- env -u ALFS_IMAGE_DIR HOME="$uhome" "$@"; }
  expect_eq "$system $key" "$(as_home "$ALFS" image list --json | jq -r '.images[] | select(.in_use) | "\(.cache) \(.name)"')" \
    "a user without an image of their own uses the system-wide one"
  as_home "$ALFS" "$work/user.img" "$uhome/mnt" >/dev/null
  expect_eq "through an imported image" "$(as_home cat "$uhome/mnt/i.txt")" "and mounts with it"
  as_home "$ALFS" unmount -w "$uhome/mnt" >/dev/null

  # An image of another key, as `image export` would write it, to put into the system cache.
  mkdir "$work/crafted"
  tar --zstd -xf "$work/image.tar.zst" -C "$work/crafted"
  echo "$crafted_key" > "$work/crafted/key"
  (cd "$work/crafted" && sha256sum key variant manifest.txt kernel initrd.img rootfs.img > SHA256SUMS &&
    tar --zstd -cf "$work/crafted.tar.zst" key variant manifest.txt kernel initrd.img rootfs.img SHA256SUMS)
  rm -rf "$work/crafted"
  chmod 644 "$work/crafted.tar.zst"
  sudo_env=(env -u ALFS_IMAGE_DIR SUDO_USER="$user" SUDO_UID="$uid" SUDO_GID="$gid" HOME="$uhome")
  run_failing "${sudo_env[@]}" "$ALFS" image import --system "$work/crafted.tar.zst"
  expect_contains "$out" "only root may (as root itself, not through sudo)" "sudo anylinuxfs cannot add to the system cache"
  [ ! -e "$system/$crafted_key" ] || fail "sudo anylinuxfs put an image into $system"
  run_failing "${sudo_env[@]}" "$ALFS" image remove --system "$key"
  [ -d "$system/$key" ] || fail "sudo anylinuxfs removed an image from $system"
  pass "nor remove from it"
  expect_eq "image $crafted_key imported into $system" \
    "$(env -u ALFS_IMAGE_DIR "$ALFS" image import --system "$work/crafted.tar.zst")" "root imports into the system cache"
  expect_eq "0 755" "$(stat -c '%u %a' "$system/$crafted_key")" "root's, readable by every user"
  # A user whose own key matches no image (extra packages) falls back to the newest
  # imported one there, only while nobody but root may have written it.
  printf '[guest]\ncustom_packages = ["htop"]\n' > "$uhome/.anylinuxfs/config.toml"
  system_in_use() { as_home "$ALFS" image list --json | jq -r '.images[] | select(.in_use) | .name'; }
  expect_eq "$crafted_key" "$(system_in_use)" "the imported system image serves a user with another key"
  chmod g+w "$system/$crafted_key/rootfs.img"
  expect_eq "" "$(system_in_use)" "not once another user may have written it"
  chmod g-w "$system/$crafted_key/rootfs.img"
  env -u ALFS_IMAGE_DIR "$ALFS" image remove --system "$crafted_key" >/dev/null
  [ ! -e "$system/$crafted_key" ] || fail "root's remove --system left $system/$crafted_key"
  pass "root removes from the system cache"
else
  echo "skip: the system-wide cache checks (ALFS_IMAGE_DIR=$ALFS_IMAGE_DIR is not $system)"
fi
