#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send QMP commands to a running QEMU: qmp.py SOCKET JSON...

Each JSON argument is one command ({"execute": ..., "arguments": ...}). Prints each reply
as one line and exits 1 on the first error reply, 2 when the socket cannot be reached.
Asynchronous events (DEVICE_DELETED and others) are printed as they come, marked "event".
"""
import json
import socket
import sys
import time


def main():
    if len(sys.argv) < 3:
        print("usage: qmp.py SOCKET JSON...", file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 30
    while True:
        try:
            sock.connect(sys.argv[1])
            break
        except OSError as e:
            if time.monotonic() > deadline:
                print(f"qmp.py: {sys.argv[1]}: {e}", file=sys.stderr)
                return 2
            time.sleep(0.5)
    stream = sock.makefile("rw", encoding="utf-8")

    def reply():
        while True:
            line = stream.readline()
            if not line:
                raise EOFError("QEMU closed the QMP socket")
            msg = json.loads(line)
            if "event" in msg:
                print("event", json.dumps(msg), flush=True)
                continue
            if "QMP" in msg:
                continue
            return msg

    def send(cmd):
        stream.write(json.dumps(cmd) + "\n")
        stream.flush()
        return reply()

    reply_to_caps = send({"execute": "qmp_capabilities"})
    if "error" in reply_to_caps:
        print(json.dumps(reply_to_caps))
        return 1
    for arg in sys.argv[2:]:
        msg = send(json.loads(arg))
        print(json.dumps(msg), flush=True)
        if "error" in msg:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
