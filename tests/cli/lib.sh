# What the CLI tests share: the binary, a failure count, and the names --help lists.
set -uo pipefail
ALFS=${ALFS:?set ALFS to the anylinuxfs binary}
fails=0
# The names of a --help section ("Subcommands" or "Options") of command path "$@".
names() {
  local section=$1
  shift
  "$ALFS" "$@" --help | awk -v s="$section:" '
    $0 == s { on = 1; next }
    /^[^ ]/ { on = 0 }
    on && /^  [^ ]/ {
      sub(/^  /, ""); split($0, col, /  +/)
      if (s == "Options:") { sub(/ .*/, "", col[1]); n = split(col[1], names, ",") }  # -p,--prompt TEXT:{a,1}
      else n = split(col[1], names, ", ")                                               # unmount, umount
      for (i = 1; i <= n; i++) print names[i]
    }'
}
