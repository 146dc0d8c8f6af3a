#!/bin/bash
# The bash completion (completions/anylinuxfs.bash), driven as bash drives it: commands,
# options and their values from the real CLI's --help; identifiers, mount points, images
# and actions from a stand-in for the CLI's JSON (lib.sh).
. "$(dirname "$0")/lib.sh"
source "$completions/anylinuxfs.bash"
offered() {
  COMP_WORDS=(anylinuxfs "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _anylinuxfs
  [ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}"
}
[ "$(complete -p anylinuxfs)" = "complete -F _anylinuxfs anylinuxfs" ] && echo "ok: registered" || { echo "FAIL: not registered"; fails=$((fails + 1)); }
expect_all
