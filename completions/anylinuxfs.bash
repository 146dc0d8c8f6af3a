# bash completion for anylinuxfs. Commands, options and their fixed values are read from
# the CLI's own --help, so they follow it; disk identifiers come from `list --json`,
# mount points from `status --json`, images from `image list --json`, actions from
# `actions`. The zsh and fish completions run this file with bash (see its end), so the
# three shells offer the same words.

# The words of a --help section ("Subcommands" or "Options") of command path "$@".
_anylinuxfs_help() {
  local section=$1
  shift
  "$_anylinuxfs_bin" "$@" --help 2>/dev/null | awk -v s="$section:" '
    $0 == s { on = 1; next }
    /^[^ ]/ { on = 0 }
    on && /^  [^ ]/ {
      sub(/^  /, ""); split($0, col, /  +/)
      n = split(col[1], names, /, ?/)
      for (i = 1; i <= n; i++) { w = names[i]; sub(/ .*/, "", w); print w }
    }'
}

# The values an option of command path "$@" takes when --help lists them: TEXT:{a,b,c}.
_anylinuxfs_option_values() {
  local option=$1
  shift
  "$_anylinuxfs_bin" "$@" --help 2>/dev/null | awk -v o="$option" '
    /^  -/ && match($0, /:\{[^}]*\}/) {
      names = $1; sub(/ .*/, "", names); n = split(names, name, ",")
      for (i = 1; i <= n; i++) if (name[i] == o) { v = substr($0, RSTART + 2, RLENGTH - 3); gsub(",", " ", v); print v }
    }'
}

# The string values of a JSON key in the output of `anylinuxfs ARGS...` (one per line;
# the documents are ours: one key per line, no escaped quotes in these values).
_anylinuxfs_json_values() {
  local key=$1
  shift
  "$_anylinuxfs_bin" "$@" 2>/dev/null | sed -n "s/^ *\"$key\": \"\(.*\)\",\{0,1\}$/\1/p"
}

_anylinuxfs() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  _anylinuxfs_bin=${COMP_WORDS[0]}
  # The command path so far: the words that name a subcommand of the path before them.
  local path=() word subs i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    [[ $word == -* ]] && continue
    subs=$(_anylinuxfs_help Subcommands "${path[@]}")
    if grep -qx -- "$word" <<<"$subs"; then path+=("$word"); else break; fi
  done
  # `anylinuxfs DISK` is `anylinuxfs mount DISK`: mount is the default command.
  local command=${path[0]:-mount}

  case $prev in
    -t | --target | --types)
      if [[ $command == vm ]]; then  # vm exec/attach -t: an instance
        COMPREPLY=($(compgen -W "$(_anylinuxfs_json_values mount_point status --json)" -- "$cur"))
        return
      fi
      COMPREPLY=($(compgen -W "ext2 ext3 ext4 btrfs xfs f2fs ntfs ntfs3 exfat vfat hfsplus jfs nilfs2 udf squashfs zfs" -- "$cur"))
      return ;;
    -a | --action)
      COMPREPLY=($(compgen -W "$("$_anylinuxfs_bin" actions 2>/dev/null | sed -n 's/^\([^: ]*\):.*/\1/p')" -- "$cur"))
      return ;;
    -k | --key-file)
      COMPREPLY=($(compgen -f -- "$cur"))
      return ;;
    -*)
      local values
      values=$(_anylinuxfs_option_values "$prev" "${path[@]:-mount}")
      if [[ -n $values ]]; then
        COMPREPLY=($(compgen -W "$values" -- "$cur"))
        return
      fi ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_anylinuxfs_help Options "${path[@]:-mount}")" -- "$cur"))
    return
  fi
  local words=""
  case "${path[*]}" in
    "" ) words="$(_anylinuxfs_help Subcommands) $(_anylinuxfs_json_values identifier list --json)" ;;
    mount | list | shell) words=$(_anylinuxfs_json_values identifier list --json) ;;
    unmount | umount | stop) words=$(_anylinuxfs_json_values mount_point status --json) ;;
    "image remove" | "image rm" | "image export") words=$(_anylinuxfs_json_values name image list --json) ;;
    help) words=$(_anylinuxfs_help Subcommands) ;;
    *) words=$(_anylinuxfs_help Subcommands "${path[@]}") ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  # Image files and mount points are paths too.
  case "${path[*]}" in
    "" | mount | list | shell | "image export" | "image import") COMPREPLY+=($(compgen -f -- "$cur")) ;;
  esac
}
complete -F _anylinuxfs anylinuxfs

# Run rather than sourced (`bash anylinuxfs.bash WORD...`, the last being the word under
# completion, maybe empty): the candidates, one per line, for the other shells.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  _anylinuxfs
  [[ ${#COMPREPLY[@]} -eq 0 ]] || printf '%s\n' "${COMPREPLY[@]}"
fi
