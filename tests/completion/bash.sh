#!/bin/bash
# The bash completion (completions/anylinuxfs.bash), driven as bash drives it: commands,
# options and their values from the real CLI's --help; identifiers, mount points, images
# and actions from a stand-in for the CLI's JSON (no disk or instance needed).
set -uo pipefail  # not -e: bash runs completion functions without it
ALFS=${ALFS:?set ALFS to the anylinuxfs binary}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The CLI, except for what lists the machine's disks, instances, images and actions.
mkdir "$work/bin" "$work/cwd"
cat > "$work/bin/anylinuxfs" <<FAKE
#!/bin/sh
case "\$*" in
  "list --json") printf '{\n  "disks": [\n    {\n      "volumes": [\n        {\n          "identifier": "/dev/sdb1"\n        },\n        {\n          "identifier": "disk.img@s2"\n        }\n      ]\n    }\n  ]\n}\n' ;;
  "status --json") printf '{\n  "instances": [\n    {\n      "mount_point": "/mnt/data",\n      "fstype": "ext4"\n    }\n  ]\n}\n' ;;
  "image list --json") printf '{\n  "images": [\n    {\n      "name": "1459d5a2b3f99f7e",\n      "in_use": true\n    }\n  ]\n}\n' ;;
  actions) printf 'backup: copy the disk\nserve: export a path\n' ;;
  *) exec "$ALFS" "\$@" ;;
esac
FAKE
chmod +x "$work/bin/anylinuxfs"
cd "$work/cwd"  # no file names to offer

source "$here/../../completions/anylinuxfs.bash"
fails=0
expect() {  # expected-words word...
  local expected=$1
  shift
  COMP_WORDS=("$work/bin/anylinuxfs" "$@")
  COMP_CWORD=${#COMP_WORDS[@]}
  COMP_CWORD=$((COMP_CWORD - 1))
  COMPREPLY=()
  _anylinuxfs
  local got="${COMPREPLY[*]}"
  if [ "$got" = "$expected" ]; then
    echo "ok: anylinuxfs $* -> $got"
  else
    echo "FAIL: anylinuxfs $*: expected '$expected', got '$got'"
    fails=$((fails + 1))
  fi
}
[ "$(complete -p anylinuxfs)" = "complete -F _anylinuxfs anylinuxfs" ] && echo "ok: registered" || { echo "FAIL: not registered"; fails=$((fails + 1)); }
expect "image" im
expect "list build export import remove rm" image ""
expect "exec attach" vm ""
expect "--backend" mount --ba
expect "auto qemu krun" mount --backend ""
expect "a 1" -p ""
expect "error warn info debug trace" config -l ""
expect "ext2 ext3 ext4 exfat" -t ex
expect "/mnt/data" vm exec -t ""
expect "/mnt/data" unmount ""
expect "disk.img@s2" mount disk
expect "/dev/sdb1 disk.img@s2" list ""
expect "1459d5a2b3f99f7e" image remove ""
expect "backup" -a b
expect "status stop" st
expect "-h --help --json" status -
exit $((fails > 0))
