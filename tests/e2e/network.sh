#!/bin/bash
# Network exposure: by default the NFS forwards listen on 127.0.0.1 only, so a peer in
# another network namespace cannot reach them; with -b <address> it can, and mounts
# the export with a real NFS client (libnfs' nfs-cat) as another machine would.
. "$(dirname "$0")/lib.sh"
ns=alfs-e2e-peer
host_ip=10.231.7.1 peer_ip=10.231.7.2
test_cleanup() { ip link del alfs-e2e-v0 2>/dev/null; ip netns del $ns 2>/dev/null; }
ip netns add $ns
ip link add alfs-e2e-v0 type veth peer name alfs-e2e-v1
ip link set alfs-e2e-v1 netns $ns
ip addr add $host_ip/24 dev alfs-e2e-v0
ip link set alfs-e2e-v0 up
ip netns exec $ns ip addr add $peer_ip/24 dev alfs-e2e-v1
ip netns exec $ns ip link set alfs-e2e-v1 up
ip netns exec $ns ip link set lo up

mkdir "$work/seed" "$work/mnt"
echo "shared over the network" > "$work/seed/hello.txt"
make_ext4 "$work/disk.img" alfs-e2e-net 64M "$work/seed"

# The instance's forwarded ports, from its record.
ports() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["nfs_port"], r["mountd_port"])' \
  ~/.anylinuxfs/instances/*/instance.json; }
# Whether the peer can open a TCP connection to host_ip:port.
peer_connects() {
  ip netns exec $ns python3 -c "import socket,sys; socket.create_connection(('$host_ip', int(sys.argv[1])), 3)" "$1" \
    2>/dev/null
}

"$ALFS" "$work/disk.img" "$work/mnt" >/dev/null
read -r nfs mountd < <(ports)
expect_eq "shared over the network" "$(cat "$work/mnt/hello.txt")" "the host reads through loopback"
peer_connects "$nfs" && fail "the peer reached the NFS port of a default mount"
pass "default: the peer cannot reach the NFS port"
peer_connects "$mountd" && fail "the peer reached the mountd port of a default mount"
pass "default: nor the mountd port"
ss -ltn | grep -q "127.0.0.1:$nfs " || fail "the NFS forward is not on 127.0.0.1"
pass "default: the forward listens on 127.0.0.1"
# The guest has no network device (the forwards reach it as streams over a virtio-serial
# port): it reaches nothing on the host (nor beyond), even a listening port.
links=$("$ALFS" vm exec ip -o link show) || fail "vm exec ip link: $links"
expect_eq "lo" "$(echo "$links" | awk -F': ' '{print $2}')" "the guest has no network interface but loopback"
python3 -m http.server 18471 --bind 0.0.0.0 >/dev/null 2>&1 &
listener=$!
sleep 0.5
"$ALFS" vm exec timeout 10 bash -c 'echo > /dev/tcp/10.0.2.2/18471' 2>/dev/null && fail "the guest reached a host port"
"$ALFS" vm exec timeout 10 bash -c "echo > /dev/tcp/$host_ip/18471" 2>/dev/null && fail "the guest reached a host address"
kill $listener
pass "the guest cannot open connections to the host"
"$ALFS" unmount -w "$work/mnt" >/dev/null

"$ALFS" -b $host_ip "$work/disk.img" "$work/mnt" >/dev/null
read -r nfs mountd < <(ports)
peer_connects "$nfs" || fail "the peer cannot reach the NFS port with -b $host_ip"
pass "-b: the peer reaches the NFS port"
out=$(ip netns exec $ns timeout 60 nfs-cat "nfs://$peer_ip@$host_ip/mnt/disk/hello.txt?version=3&nfsport=$nfs&mountport=$mountd" 2>&1) ||
  out=$(ip netns exec $ns timeout 60 nfs-cat "nfs://$host_ip/mnt/disk/hello.txt?version=3&nfsport=$nfs&mountport=$mountd" 2>&1) ||
  fail "nfs-cat from the peer: $out"
expect_eq "shared over the network" "$out" "-b: the peer reads the file with an NFS client"
"$ALFS" unmount -w "$work/mnt" >/dev/null
no_instances_left

run_failing "$ALFS" -b not-an-address "$work/disk.img" "$work/mnt"
expect_contains "$out" "not-an-address" "a bad -b address is refused by name"
no_instances_left
