#!/usr/bin/env python3
# A stand-in for gvproxy in the tests: takes gvproxy's flags, makes its two sockets, and
# answers every API request with 200 (or, for a local address in
# $ALFS_FAKE_GVPROXY_REFUSE, 500 as gvproxy does), appending its argv and each request to
# $ALFS_FAKE_GVPROXY_RECORD.
import os
import socket
import sys

args = sys.argv[1:]
record = os.environ["ALFS_FAKE_GVPROXY_RECORD"]


def note(line):
    with open(record, "a") as f:
        f.write(line + "\n")


def flag(name):
    return args[args.index(name) + 1]


note("argv " + " ".join(args))
network = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
network.bind(flag("-listen-vfkit").removeprefix("unixgram://"))
api = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
api.bind(flag("-listen").removeprefix("unix://"))
api.listen(4)
while True:
    conn, _ = api.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(body) < length:
        body += conn.recv(4096)
    note(head.split(b"\r\n")[0].decode() + " " + body.decode())
    refused = os.environ.get("ALFS_FAKE_GVPROXY_REFUSE")
    if refused and f'"local":"{refused}"' in body.decode():
        text = f"proxy already running for tcp on {refused}\n".encode()
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n\r\n" % len(text) + text)
    else:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    conn.close()
