#!/bin/bash
# -q and -v on every command (cli/say): each command's --help offers both (mount has its
# own); -q leaves errors and what was asked for but drops the "done" lines, -v adds the
# steps on standard error, and the two together are a usage error. Boots no VM.
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home ALFS_SYSTEM_CONFIG=$work/system.toml
mkdir -p "$HOME"
expect() {  # what expected got
  if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}
# Every command that does something takes -q and -v.
walk() {  # path...
  local subs word
  subs=$(names Subcommands "$@")
  if [ -z "$subs" ]; then
    local options=" $(names Options "$@" | tr '\n' ' ')"
    [[ $options == *" -q "* && $options == *" -v "* ]] && echo "ok: $* takes -q and -v" ||
      { echo "FAIL: $*: no -q or -v in its --help"; fails=$((fails + 1)); }
    return
  fi
  for word in $subs; do [ "$word" = help ] || walk "$@" "$word"; done
}
walk

out=$("$ALFS" config -r 600 2>&1)
expect "config says what it changed" "vm.ram_size_mib = 600 (was 512)
saved in $HOME/.anylinuxfs/config.toml" "$out"
out=$("$ALFS" config -r 700 -q 2>&1)
expect "config -q says nothing" "" "$out"
expect "and changes the value all the same" "1" "$("$ALFS" config | grep -c 'ram_size_mib = 700')"
out=$("$ALFS" config -q)
expect "config -q still shows what was asked for" "1" "$(grep -c 'ram_size_mib = 700' <<<"$out")"
err=$("$ALFS" config -r 800 -v 2>&1 >/dev/null)
expect "config -v says its step on standard error" "anylinuxfs: changing [vm] in $HOME/.anylinuxfs/config.toml, keeping its other lines" "$err"
err=$("$ALFS" image remove -q 0123456789abcdef 2>&1)
rc=$?
expect "-q keeps errors (exit 1)" "1" "$rc"
[ -n "$err" ] && echo "ok: -q keeps the error's message" || { echo "FAIL: -q dropped an error"; fails=$((fails + 1)); }
"$ALFS" status -q -v >/dev/null 2>&1
expect "-q with -v is a usage error" "2" "$?"
exit $((fails > 0))
