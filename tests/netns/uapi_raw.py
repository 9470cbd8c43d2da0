#!/usr/bin/env python3
"""A minimal UAPI client for requests that wg(8) refuses to send: writes stdin verbatim to the
unix socket given as the argument and prints the reply up to and including its errno line.

  printf 'set=1\\nbogus=1\\n\\n' | uapi_raw.py /var/run/wireguard/wg0.sock   ->  errno=-22

Exit status 0 when a complete reply (an errno= line followed by a blank line) arrived, 1 when
the server closed the connection or went silent (5 s) before that.
"""
import re
import socket
import sys


def main():
    request = sys.stdin.buffer.read()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(sys.argv[1])
        s.sendall(request)
        reply = b""
        complete = re.compile(rb"(^|\n)errno=-?\d+\n\n")
        try:
            while not complete.search(reply):
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            pass
    sys.stdout.write(reply.decode(errors="replace"))
    return 0 if complete.search(reply) else 1


if __name__ == "__main__":
    sys.exit(main())
