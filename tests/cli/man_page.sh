#!/bin/bash
# The man page (docs/anylinuxfs.1.scd) names every command and option that the CLI's
# --help lists, for every command and subcommand, so the two cannot drift apart; and
# scdoc renders it.
. "$(dirname "$0")/lib.sh"
page=$(dirname "$0")/../../docs/anylinuxfs.1.scd
# As a word of its own: not inside a longer option or name.
in_page() { grep -qE -- "(^|[^a-z-])$1([^a-z-]|\$)" "$page"; }
check() {  # path...
  local word
  for word in $(names Options "$@"); do
    in_page "$word" || { echo "FAIL: ${*:-anylinuxfs}: $word is not in the man page"; fails=$((fails + 1)); }
  done
  for word in $(names Subcommands "$@"); do
    in_page "$word" || { echo "FAIL: ${*:-anylinuxfs}: command $word is not in the man page"; fails=$((fails + 1)); }
    [ "$word" = help ] || check "$@" "$word"
  done
}
check
scdoc < "$page" > /dev/null || { echo "FAIL: scdoc cannot render $page"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "ok: every command and option of --help is in the man page"
exit $((fails > 0))
