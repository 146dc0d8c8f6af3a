# fish completion for anylinuxfs: the bash completion (the one implementation, which reads
# the CLI's --help and JSON) run by bash for the words up to the cursor.
set -l here (dirname (status filename))
set -g __anylinuxfs_bash $here/anylinuxfs.bash  # the source tree
test -f $__anylinuxfs_bash; or set -g __anylinuxfs_bash $here/../../bash-completion/completions/anylinuxfs  # installed

function __anylinuxfs_complete
    bash $__anylinuxfs_bash (commandline -opc) (commandline -ct)
end
# -f: bash offers file names itself where the command takes them.
complete -c anylinuxfs -f -a '(__anylinuxfs_complete)'
