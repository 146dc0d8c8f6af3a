#!/bin/bash
# The zsh completion (completions/_anylinuxfs), autoloaded from $fpath as compinit loads
# it, with the words, CURRENT and PREFIX zsh gives a completion function; compadd, which
# exists only inside zsh's completion system, prints what it is given. The cases of the
# bash one (lib.sh).
. "$(dirname "$0")/lib.sh"
offered() {
  zsh -f -c 'compadd() { shift $(( ${@[(i)--]} )); print -rl -- "$@" }
    fpath=("$1" $fpath); autoload -U _anylinuxfs
    words=(anylinuxfs "${@[2,-1]}"); CURRENT=${#words}; PREFIX=${words[-1]}
    _anylinuxfs' zsh "$completions" "$@"
}
expect_all
