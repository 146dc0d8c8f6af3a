# What the completion tests share: a stand-in CLI on $PATH (the real one, except for what
# lists the machine's disks, instances, images and actions, so no disk or instance is
# needed), an empty working directory (no file names to offer), and `expect`, which
# compares what the shell's `offered WORD...` prints (one candidate per line) with the
# expected words. The cases are the same for every shell: one implementation behind them.
set -uo pipefail  # not -e: shells run completion functions without it
ALFS=${ALFS:?set ALFS to the anylinuxfs binary}
completions=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../completions" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
PATH=$work/bin:$PATH
cd "$work/cwd"
fails=0

expect() {  # expected-words word...  (after `anylinuxfs`; the last is being completed)
  local expected=$1 got
  shift
  # Sorted: fish sorts what it offers.
  got=$(offered "$@" | sort | tr '\n' ' ')
  expected=$(tr ' ' '\n' <<<"$expected" | sort | tr '\n' ' ')
  if [ "$got" = "$expected" ]; then
    echo "ok: anylinuxfs $* -> $got"
  else
    echo "FAIL: anylinuxfs $*: expected '$expected', got '$got'"
    fails=$((fails + 1))
  fi
}

expect_all() {
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
  expect "-h --help --json -q --quiet -v --verbose" status -
  exit $((fails > 0))
}
