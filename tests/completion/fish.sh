#!/bin/bash
# The fish completion (completions/anylinuxfs.fish), asked as fish's own `complete -C`
# asks it while the user types, with the cases of the bash one (lib.sh).
. "$(dirname "$0")/lib.sh"
offered() {
  local line="anylinuxfs $*"
  fish --no-config -c "source '$completions/anylinuxfs.fish'; complete -C '$line'" | cut -f1
}
expect_all
