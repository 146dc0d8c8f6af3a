#!/bin/bash
# Configuration, no VM: the system file and the user's merge key by key (`config` names
# each value's file); a bad file is an error naming file:line and the key; `config -r -n
# -l` edits the user file in place, keeping its comments and other tables; values out
# of range are refused; `actions` lists the actions of both files; `help [COMMAND]`
# prints what `[COMMAND] --help` does.
. "$(dirname "$0")/lib.sh"
export HOME=$work/home ALFS_SYSTEM_CONFIG=$work/system.toml
unset SUDO_USER  # this test's HOME, even as root under sudo
system=$ALFS_SYSTEM_CONFIG user=$HOME/.anylinuxfs/config.toml
mkdir -p "$HOME/.anylinuxfs"

# The line of `config` for a key, blanks squeezed.
config_line() { "$ALFS" config | grep "^$1 " | tr -s ' '; }

expect_eq 'vm.ram_size_mib = 512 # default' "$(config_line vm.ram_size_mib)" "no files: the defaults"

cat > "$system" <<'TOML'
[vm]
ram_size_mib = 1024
num_vcpus = 2

[custom_actions.fsck]
description = "the system's fsck"
before_mount = 'fsck -p "$ALFS_VM_DEVICE"'

[custom_actions.sys-only]
description = "only in the system file"
TOML
cat > "$user" <<'TOML'
# my anylinuxfs settings
[vm]
num_vcpus = 3   # enough for btrfs

[custom_actions.fsck]
description = "the user's fsck"

[custom_actions.browse]
override_nfs_export = "/etc"
TOML
good_user=$(cat "$user")

# Merge.
expect_eq "vm.ram_size_mib = 1024 # $system" "$(config_line vm.ram_size_mib)" "ram from the system file"
expect_eq "vm.num_vcpus = 3 # $user" "$(config_line vm.num_vcpus)" "vcpus from the user file"
expect_eq 'vm.log_level = "info" # default' "$(config_line vm.log_level)" "log_level default"
expect_contains "$("$ALFS" config)" "custom_actions: 3" "actions of both files counted"
expect_eq "browse
fsck: the user's fsck
sys-only: only in the system file" "$("$ALFS" actions)" "actions: both files, the user's fsck replacing the system's"

# Errors: exit 1, file:line and the key.
expect_config_error() {  # what file text expected-words
  printf '%s\n' "$3" > "$2"
  run_failing "$ALFS" config
  expect_eq 1 "$rc" "$1: exit 1"
  expect_contains "$out" "$4" "$1: message"
}
expect_config_error "syntax error" "$user" $'[vm]\nram_size_mib =' "$user:2:"
expect_config_error "unknown key" "$user" $'[vm]\nnum_cpus = 2' "$user:2: unknown key vm.num_cpus"
expect_config_error "wrong type" "$user" $'[vm]\n\nram_size_mib = "big"' "$user:3: vm.ram_size_mib must be an integer"
expect_config_error "bad environment entry" "$user" $'[custom_actions.x]\nenvironment = ["OK=1", "no equals"]' \
  "$user:2: element 2 of custom_actions.x.environment is not NAME=value: 'no equals'"
run_failing "$ALFS" actions
expect_contains "$out" "$user:2: element 2 of custom_actions.x.environment" "actions: the same error"
printf '%s\n' "$good_user" > "$user"
cp "$system" "$work/system.good"
expect_config_error "error in the system file" "$system" $'[vm]\nnum_vcpus = 0' \
  "$system:2: vm.num_vcpus must be between 1 and 64 (got 0)"
cp "$work/system.good" "$system"

# Round trip: the changed lines only.
cp "$user" "$work/user.before"
expect_eq "vm.ram_size_mib = 768 (was 1024)
vm.num_vcpus = 2 (was 3)
vm.log_level = \"debug\" (was \"info\")
saved in $user" "$("$ALFS" config -r 768 -n 2 -l debug)" "config -r -n -l reports the changes"
changed='^(ram_size_mib|num_vcpus|log_level) ='
expect_eq "$(grep -Ev "$changed" "$work/user.before")" "$(grep -Ev "$changed" "$user")" \
  "the rest of the user file (comment, other tables) is unchanged"
grep -qx 'num_vcpus = 2   # enough for btrfs' "$user" || fail "num_vcpus replaced in place: $(cat "$user")"
pass "a value replaced where it stands, its comment kept"
for key in vm.ram_size_mib=768 vm.num_vcpus=2 'vm.log_level="debug"'; do
  expect_eq "${key%%=*} = ${key#*=} # $user" "$(config_line "${key%%=*}")" "config reads back ${key%%=*}"
done

# Out of range: refused, the file untouched.
cp "$user" "$work/user.before"
run_failing "$ALFS" config -r 5
expect_contains "$out" "5 not in range 128 to 65536" "config -r 5 is refused"
cmp -s "$work/user.before" "$user" || fail "config -r 5 changed the file"
pass "config -r 5 leaves the file as it was"

# help: the top-level help, or a command's (an alias, a subcommand), exit 0.
for command in "" mount umount apk "vm exec" "pkg add" help; do
  # shellcheck disable=SC2086  # the words of the command
  help=$("$ALFS" help $command) || fail "help${command:+ $command}: exit $?"
  # shellcheck disable=SC2086
  expect_eq "$("$ALFS" $command --help)" "$help" "help${command:+ $command}: as${command:+ $command} --help"
done
expect_contains "$("$ALFS" help)" "Subcommands:" "help lists the commands"
run_failing "$ALFS" help nosuch
expect_contains "$out" "unknown command 'nosuch'" "help of an unknown command: a usage error naming it"
run_failing "$ALFS" help vm nosuch
expect_contains "$out" "unknown command 'nosuch'" "help of an unknown subcommand: the same"
