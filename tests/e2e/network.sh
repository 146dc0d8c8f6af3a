#!/bin/bash
# Network exposure: by default the NFS forwards listen on 127.0.0.1 only, so a peer in
# another network namespace cannot reach them; with -b <address> it can, and mounts
# the export with a real NFS client (libnfs' nfs-cat, nfs-cp) as another machine would:
# with its root squashed, only from the --allow networks, and never another local user.
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

mkdir "$work/seed" "$work/mnt" "$work/seed/drop"
echo "shared over the network" > "$work/seed/hello.txt"
chmod 1777 "$work/seed/drop"
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

peer_url() {  # path
  echo "nfs://$host_ip/mnt/disk$1?uid=0&gid=0&version=3&nfsport=$nfs&mountport=$mountd"
}
other=alfs-other
id "$other" >/dev/null 2>&1 || useradd --no-create-home --shell /bin/bash "$other"

"$ALFS" -b $host_ip --allow "$peer_ip/32" "$work/disk.img" "$work/mnt" >/dev/null
read -r nfs mountd < <(ports)
peer_connects "$nfs" || fail "the peer cannot reach the NFS port with -b $host_ip"
pass "-b: the peer reaches the NFS port"
out=$(ip netns exec $ns timeout 60 nfs-cat "$(peer_url /hello.txt)" 2>&1) || fail "nfs-cat from the peer: $out"
expect_eq "shared over the network" "$out" "-b: the peer in the allow-list reads the file with an NFS client"
echo "from the peer" > "$work/peer.txt"
chmod 644 "$work/peer.txt"
out=$(ip netns exec $ns timeout 60 nfs-cp "$work/peer.txt" "$(peer_url /drop/peer.txt)" 2>&1) ||
  fail "the peer cannot write to a world-writable directory: $out"
out=$(ip netns exec $ns timeout 60 nfs-cp "$work/peer.txt" "$(peer_url /as-root.txt)" 2>&1) &&
  fail "root on the peer wrote into the root-owned top directory: $out"
pass "-b: root on the peer is squashed: the root-owned directory refuses it"
# A local user other than the owner, on the shared address: still refused.
out=$(timeout 60 runuser -u "$other" -- nfs-cat "$(peer_url /hello.txt)" 2>&1) &&
  fail "another local user read through the shared address: $out"
pass "-b: another local user is refused on the shared address too"
"$ALFS" unmount -w "$work/mnt" >/dev/null
expect_eq "from the peer" "$(image_cat "$work/disk.img" /drop/peer.txt)" "the peer's file is on the disk"
expect_eq "65534" "$(debugfs -R 'stat /drop/peer.txt' "$work/disk.img" 2>/dev/null | sed -n 's/.*User: *\([0-9]*\).*/\1/p')" \
  "the peer's root wrote as nobody"
image_cat "$work/disk.img" /as-root.txt | grep -q . && fail "as-root.txt is on the disk"

"$ALFS" -b $host_ip --allow 10.231.8.0/24 "$work/disk.img" "$work/mnt" >/dev/null
read -r nfs mountd < <(ports)
out=$(ip netns exec $ns timeout 60 nfs-cat "$(peer_url /hello.txt)" 2>&1) && fail "a peer outside the allow-list read: $out"
grep -q "forwards: refused a connection from $peer_ip:[0-9]*: not in the allow-list" ~/.anylinuxfs/logs/latest.log ||
  fail "the refusal of the peer is not logged"
pass "-b --allow: a peer outside the allow-list is refused, and logged"
expect_eq "shared over the network" "$(cat "$work/mnt/hello.txt")" "the owner's mount point still works"
"$ALFS" unmount -w "$work/mnt" >/dev/null
no_instances_left

run_failing "$ALFS" --allow 10.0.0.0/8 "$work/disk.img" "$work/mnt"
expect_contains "$out" "--allow needs -b with an address off loopback" "--allow without -b is refused"
run_failing "$ALFS" -b $host_ip --allow 10.1.2.3/8 "$work/disk.img" "$work/mnt"
expect_contains "$out" 'bad network "10.1.2.3/8"' "a bad --allow network is refused by name"
no_instances_left

run_failing "$ALFS" -b not-an-address "$work/disk.img" "$work/mnt"
expect_contains "$out" "not-an-address" "a bad -b address is refused by name"
no_instances_left
