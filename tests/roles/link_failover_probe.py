"""Traffic probe between two lab hosts (standard library only; runs inside a host's netns).

``server``: UDP echo on PORT and TCP echo on PORT+1.
``client``: a UDP echo every ``--interval`` ms and a long-lived TCP connection that echoes a
counter every 20 ms, until SIGTERM/SIGINT or ``--seconds``; then one JSON line on stdout:
losses as runs of consecutive lost echoes (with their send time), the longest gap in ms,
and what happened to the TCP connection (reset or not, longest stall).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import struct
import threading
import time
from typing import Any

PACK = struct.Struct("!Qd")  # sequence number, send time (monotonic, client side)


def serve(port: int) -> None:
    """Echo UDP datagrams on ``port`` and TCP streams on ``port + 1`` until killed."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("0.0.0.0", port + 1))
    tcp.listen(8)

    def echo_stream(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept_loop() -> None:
        while True:
            conn, _ = tcp.accept()
            threading.Thread(target=echo_stream, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    print("ready", flush=True)
    while True:
        data, peer = udp.recvfrom(2048)
        udp.sendto(data, peer)


class TcpWatch:
    """One TCP connection kept busy; records resets and the longest wait for an echo."""

    def __init__(self, target: str, port: int) -> None:
        self.sock = socket.create_connection((target, port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(None)
        self.error = ""
        self.sent = 0
        self.echoed = 0
        self.last_echo = time.monotonic()
        self.longest_stall = 0.0
        self.buffer = b""

    def tick(self) -> None:
        if self.error:
            return
        try:
            self.sock.send(struct.pack("!Q", self.sent))
            self.sent += 1
        except OSError as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    def readable(self) -> None:
        try:
            data = self.sock.recv(4096)
        except OSError as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            return
        if not data:
            self.error = "connection closed by peer"
            return
        now = time.monotonic()
        self.buffer += data
        count, rest = divmod(len(self.buffer), 8)
        self.buffer = self.buffer[count * 8:] if rest else b""
        if count:
            self.longest_stall = max(self.longest_stall, now - self.last_echo)
            self.last_echo = now
            self.echoed += count

    def result(self) -> dict[str, Any]:
        if not self.error:
            self.longest_stall = max(self.longest_stall, time.monotonic() - self.last_echo)
            self.sock.close()
        return {"sent": self.sent, "echoed": self.echoed, "error": self.error,
                "longest_stall_ms": round(self.longest_stall * 1000)}


def loss_runs(received: set[int], sent: list[float], interval: float) -> list[dict[str, Any]]:
    """Runs of consecutive lost echoes: start (s after the first send), count, gap in ms."""
    runs: list[dict[str, Any]] = []
    start = None
    for seq in range(len(sent)):
        if seq not in received and start is None:
            start = seq
        elif seq in received and start is not None:
            runs.append({"at": round(sent[start] - sent[0], 3), "lost": seq - start,
                         "gap_ms": round((seq - start) * interval * 1000)})
            start = None
    if start is not None:
        runs.append({"at": round(sent[start] - sent[0], 3), "lost": len(sent) - start,
                     "gap_ms": round((len(sent) - start) * interval * 1000), "open": True})
    return runs


def run_client(target: str, port: int, interval: float, seconds: float) -> dict[str, Any]:
    """Probe ``target`` until stopped; return the measurement."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setblocking(False)
    tcp = TcpWatch(target, port + 1)
    sent: list[float] = []
    received: set[int] = set()
    began = time.monotonic()
    next_send = began
    next_tcp = began
    drain_until = None
    while True:
        now = time.monotonic()
        if drain_until is None and (stop.is_set() or (seconds and now - began >= seconds)):
            drain_until = now + 0.5  # let the last echoes come back
        if drain_until is not None and now >= drain_until:
            break
        if drain_until is None and now >= next_send:
            udp.sendto(PACK.pack(len(sent), now), (target, port))
            sent.append(now)
            next_send += interval
        if drain_until is None and now >= next_tcp:
            tcp.tick()
            next_tcp += 0.02
        wait = max(0.0, min(next_send, next_tcp, drain_until or next_send) - time.monotonic())
        socks: list[socket.socket] = [udp] + ([tcp.sock] if not tcp.error else [])
        ready, _, _ = select.select(socks, [], [], wait)
        for sock in ready:
            if sock is udp:
                while True:
                    try:
                        data = udp.recv(2048)
                    except BlockingIOError:
                        break
                    received.add(PACK.unpack(data[: PACK.size])[0])
            else:
                tcp.readable()
    runs = loss_runs(received, sent, interval)
    return {"sent": len(sent), "received": len(received), "interval_ms": interval * 1000,
            "longest_gap_ms": max((r["gap_ms"] for r in runs), default=0),
            "runs": runs, "tcp": tcp.result()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["server", "client"])
    parser.add_argument("--target", default="")
    parser.add_argument("--port", type=int, default=7007)
    parser.add_argument("--interval", type=float, default=10.0, help="milliseconds")
    parser.add_argument("--seconds", type=float, default=0.0, help="0 = until SIGTERM")
    parser.add_argument("--pidfile", default="", help="client: write the process id here")
    args = parser.parse_args()
    if args.pidfile:
        with open(args.pidfile, "w", encoding="ascii") as out:
            out.write(f"{os.getpid()}\n")
    if args.mode == "server":
        serve(args.port)
    else:
        print(json.dumps(run_client(args.target, args.port, args.interval / 1000, args.seconds)),
              flush=True)


if __name__ == "__main__":
    main()
