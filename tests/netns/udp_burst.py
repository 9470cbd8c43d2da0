#!/usr/bin/env python3
"""Bursts of UDP datagrams whose every byte can be checked at the receiver.

  udp_burst.py receive ADDR PORT OUT_JSON   listen; stop 2 s after the last datagram (or 20 s
                                            without any) and write what arrived as JSON
  udp_burst.py send ADDR PORT COUNT         send COUNT datagrams in bursts of 64 back to back
  udp_burst.py check OUT_JSON COUNT MIN_FRACTION
                                            exit 0 when at least MIN_FRACTION of COUNT arrived,
                                            each exactly as sent, in the order sent

Datagram i carries its number (4 bytes) and then bytes derived from it; its length follows a
pattern of runs of one size with a shorter one now and then, so that a receiver that merges
runs of equal-size datagrams (wgd's GroCoalescer) meets every case of its rules.
"""
import hashlib
import json
import socket
import sys
import time

SIZES = (64, 1000, 200, 1300, 17)


def length_of(i):
    run = i // 40
    size = SIZES[run % len(SIZES)]
    return max(4, size - 7) if i % 40 == 39 else size  # the run's last one is shorter


def payload_of(i):
    n = length_of(i)
    body = b""
    block = 0
    while len(body) < n - 4:
        body += hashlib.sha256(f"{i}/{block}".encode()).digest()
        block += 1
    return i.to_bytes(4, "big") + body[: n - 4]


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def receive(addr, port, out):
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE (root): no drops in here
    s.bind((addr, int(port)))
    print("listening", flush=True)
    got = []
    s.settimeout(20)
    try:
        while True:
            data = s.recv(65535)
            got.append(data.hex())
            s.settimeout(2)
    except socket.timeout:
        pass
    with open(out, "w") as f:
        json.dump(got, f)


def send(addr, port, count):
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 32, 16 << 20)  # SO_SNDBUFFORCE
    for start in range(0, int(count), 64):
        for i in range(start, min(start + 64, int(count))):
            s.sendto(payload_of(i), (addr, int(port)))
        time.sleep(0.002)


def check(out, count, min_fraction):
    with open(out) as f:
        got = [bytes.fromhex(h) for h in json.load(f)]
    count = int(count)
    last = -1
    for k, d in enumerate(got):
        i = int.from_bytes(d[:4], "big") if len(d) >= 4 else -1
        if not 0 <= i < count:
            print(f"datagram #{k} (length {len(d)}) does not start with a number < {count}", file=sys.stderr)
            return 1
        if d != payload_of(i):
            print(f"datagram {i} arrived changed: length {len(d)}, sent {length_of(i)}", file=sys.stderr)
            return 1
        if i <= last:
            print(f"datagram {i} arrived after datagram {last}: out of order or twice", file=sys.stderr)
            return 1
        last = i
    if len(got) < float(min_fraction) * count:
        print(f"only {len(got)} of {count} datagrams arrived", file=sys.stderr)
        return 1
    print(f"{len(got)} of {count} datagrams arrived intact and in order")
    return 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "receive":
        receive(*args)
    elif cmd == "send":
        send(*args)
    elif cmd == "check":
        sys.exit(check(*args))
    else:
        sys.exit(f"unknown command {cmd}")
