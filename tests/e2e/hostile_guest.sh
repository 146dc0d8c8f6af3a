#!/bin/bash
# A hostile disk that took over the guest kernel cannot reach through to the host: root in
# the guest (what `vm exec` gives, as a kernel exploit would) writes garbage to the ports
# the host reads: the control channel and the NFS forwards' stream link. Each time the
# supervisor logs a clear error, ends the instance, releases the mount point and leaves no
# process behind, and the guest (still ours) unmounted the filesystem cleanly.
. "$(dirname "$0")/lib.sh"

# Runs in the guest as root: writes the bytes of a perl expression ($ARGV[1]) to the
# virtio port named $ARGV[0] through PID 1's own fd of it (a port has one opener:
# pidfd_getfd(2) takes a copy, as an attacker with root would).
inject='
use strict;
my ($name, $expr) = @ARGV;
sub entries { opendir(my $d, $_[0]) or die "$_[0]: $!\n"; grep { !/^\./ } readdir $d }
sub first_line { open(my $f, "<", $_[0]) or return ""; return <$f> // "" }
my ($port) = map { "/dev/$_" } grep { first_line("/sys/class/virtio-ports/$_/name") eq "$name\n" }
  entries("/sys/class/virtio-ports");
die "no port $name\n" unless $port;
my ($fd) = grep { (readlink("/proc/1/fd/$_") // "") eq $port } entries("/proc/1/fd");
die "PID 1 does not hold $port\n" unless defined $fd;
my $pidfd = syscall(434, 1, 0);           # pidfd_open
my $copy = syscall(438, $pidfd, $fd + 0, 0);  # pidfd_getfd (a string would go as a pointer)
die "pidfd_getfd: $!\n" if $copy < 0;
open(my $out, ">&=", $copy) or die "fdopen: $!\n";
my $data = eval $expr; die $@ if $@;
my $deadline = time + 20;
while (length $data && time < $deadline) {
  my $n = syswrite($out, $data);
  if (defined $n) { substr($data, 0, $n, ""); next; }
  die "write: $!\n" unless $! + 0 == 11;  # EAGAIN: the port is non-blocking
  select(undef, undef, undef, 0.01);
}
print "wrote to $port\n";
'

make_ext4 "$work/disk.img" alfs-e2e-hostile 64M
mkdir "$work/mnt"

# Mounts, lets the guest write `expr` to `port`, then checks the end of the instance and
# that the host log says `expected`.
attack() {  # what port expr expected
  local what=$1 port=$2 expr=$3 expected=$4
  "$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
  echo "$what" > "$work/mnt/before.txt"
  sync "$work/mnt/before.txt"
  local supervisor vm
  supervisor=$(sed -n 's/.*"supervisor_pid": \([0-9]*\).*/\1/p' ~/.anylinuxfs/instances/*/instance.json | head -n1)
  vm=$("$ALFS" status | sed -n 's/.*vm pid \([0-9]*\))$/\1/p')
  [ -n "$supervisor" ] && [ -n "$vm" ] || fail "$what: no supervisor/vm pid"
  # The instance may end before the command's output comes back: only its failures count.
  timeout 60 "$ALFS" vm exec perl -e "$inject" "$port" "$expr" >"$work/exec.out" 2>&1 || true
  grep -E "^(no port|PID 1 does not|pidfd_getfd|fdopen|write|syntax error)" "$work/exec.out" &&
    fail "$what: the injection itself failed"
  for _ in $(seq 120); do alive "$supervisor" || alive "$vm" || break; sleep 0.5; done
  alive "$supervisor" && fail "$what: the supervisor still runs 60 s later"
  alive "$vm" && fail "$what: the VM still runs 60 s later"
  pass "$what: the supervisor and the VM are gone"
  expect_contains "$("$ALFS" log)" "$expected" "$what: the host log names it"
  "$ALFS" log | grep -q "instance [0-9]* ended$" || fail "$what: the log does not end the instance"
  expect_eq "" "$("$ALFS" status)" "$what: no instance recorded"
  mountpoint -q "$work/mnt" && fail "$what: the mount point is still mounted"
  timeout 5 ls "$work/mnt" >/dev/null || fail "$what: the mount point hangs"
  pass "$what: the mount point is released"
  expect_contains "$("$ALFS" dmesg)" "anylinuxfs-agent: filesystem unmounted" "$what: the guest unmounted cleanly"
  fsck_clean "$work/disk.img"
  expect_eq "$what" "$(image_cat "$work/disk.img" /before.txt)" "$what: the data written before is in the image"
}

attack "garbage" anylinuxfs.control '"\e]0;pwned\a\e[2J not json\n"' \
  "error: malformed message: not JSON; ending the instance"
attack "an oversized line" anylinuxfs.control '"x" x (1100 * 1024)' \
  "error: message longer than 1 MiB; ending the instance"
attack "a field of the wrong type" anylinuxfs.control '"{\"type\":\"log\",\"text\":[\"x\"]}\n"' \
  "error: malformed 'log' message from the guest: \"text\" is not a string; ending the instance"
attack "a message out of place" anylinuxfs.control '"{\"type\":\"ready\",\"export\":\"/elsewhere\"}\n"' \
  "error: unexpected 'ready' message from the guest while the export is served; ending the instance"
attack "a malformed stream frame" anylinuxfs.net 'pack("VvvV", 1, 9, 0, 0)' \
  "forwards: stream link: unknown frame type 9"
expect_contains "$("$ALFS" log)" "error: the NFS forwards failed or refused what the guest sent" "the forwards' failure ends the instance"
no_instances_left
