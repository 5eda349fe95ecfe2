"""Traffic probe between two lab hosts (standard library only; runs inside a host's netns).

``server``: UDP echo on PORT and TCP echo on PORT+1.
``client``: a UDP echo every ``--interval`` ms and a long-lived TCP connection that echoes a
counter every 20 ms, until SIGTERM/SIGINT or ``--seconds``; then one JSON line on stdout:
losses as runs of consecutive lost echoes (with their send time), the longest gap in ms,
what happened to the TCP connection (reset or not, longest stall), and for both the echo
timeline: ``[sequence, sent, received]`` per echo, times on the machine's monotonic clock
(shared by every lab host), so a test can place its own events (a cut) on it.

``judge_cut`` turns two timelines and the moment of a cut into the figures a failover is held
to: the longest UDP gap (at most ``MAX_UDP_GAP_MS``), the longest TCP stall (under
``MAX_TCP_STALL_MS``) and the echoes of what was sent after the cut (some, on both).
"""

from __future__ import annotations

import argparse
import itertools
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
TCP_PACK = struct.Struct("!Q")  # sequence number of a TCP echo
MAX_UDP_GAP_MS = 1500  # longest time without a UDP echo a failover may cost (inclusive)
MAX_TCP_STALL_MS = 3000  # a TCP stall must stay under this (exclusive)


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
        self.sent_at: list[float] = []
        self.echoes: list[list[float]] = []

    def tick(self) -> None:
        if self.error:
            return
        try:
            now = time.monotonic()
            self.sock.send(TCP_PACK.pack(self.sent))
            self.sent_at.append(now)
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
        count = len(self.buffer) // TCP_PACK.size
        for i in range(count):
            (seq,) = TCP_PACK.unpack_from(self.buffer, i * TCP_PACK.size)
            if seq < len(self.sent_at):
                self.echoes.append([seq, round(self.sent_at[seq], 4), round(now, 4)])
        self.buffer = self.buffer[count * TCP_PACK.size:]
        if count:
            self.longest_stall = max(self.longest_stall, now - self.last_echo)
            self.last_echo = now
            self.echoed += count

    def result(self) -> dict[str, Any]:
        if not self.error:
            self.longest_stall = max(self.longest_stall, time.monotonic() - self.last_echo)
            self.sock.close()
        return {"sent": self.sent, "echoed": self.echoed, "error": self.error,
                "longest_stall_ms": round(self.longest_stall * 1000),
                "timeline": timeline(self.sent_at, self.echoes)}


def timeline(sent_at: list[float], echoes: list[list[float]]) -> dict[str, Any]:
    """What a judge needs of one probe: when sending began and ended, and every echo."""
    return {"first_sent": round(sent_at[0], 4) if sent_at else None,
            "last_sent": round(sent_at[-1], 4) if sent_at else None,
            "echoes": echoes}


def longest_gap_ms(line: dict[str, Any]) -> int:
    """Longest time (ms) during the sending with no echo arriving: before the first echo,
    between two consecutive echoes, or after the last echo until the last send (an outage
    still open when the probe stopped counts in full). No echo at all: the whole run."""
    if line["first_sent"] is None:
        return 0
    first, last = float(line["first_sent"]), float(line["last_sent"])
    arrivals = sorted(float(echo[2]) for echo in line["echoes"])
    if not arrivals:
        return round((last - first) * 1000)
    marks = [first, *arrivals]
    gaps = [b - a for a, b in itertools.pairwise(marks)]
    gaps.append(last - arrivals[-1])
    return round(max(gaps) * 1000)


def gap_at_ms(line: dict[str, Any], moment: float) -> int:
    """Length (ms) from the last echo up to ``moment`` to the first one after it (from the first
    send, or to the last send, where there is none): the gap a cut at ``moment`` opened."""
    if line["first_sent"] is None:
        return 0
    arrivals = sorted(float(echo[2]) for echo in line["echoes"])
    before = [t for t in arrivals if t <= moment]
    after = [t for t in arrivals if t > moment]
    start = before[-1] if before else float(line["first_sent"])
    end = after[0] if after else max(float(line["last_sent"]), moment)
    return round((end - start) * 1000)


def echoes_sent_after(line: dict[str, Any], moment: float) -> int:
    """How many of the echoes came back for what was sent after ``moment``."""
    return sum(1 for echo in line["echoes"] if echo[1] > moment)


def judge_cut(udp: dict[str, Any], tcp: dict[str, Any], cut_at: float) -> tuple[dict[str, int], list[str]]:
    """The figures of a cut at ``cut_at`` and what in them breaks the failover bounds."""
    figures = {
        "udp_longest_gap_ms": longest_gap_ms(udp),
        "udp_gap_at_cut_ms": gap_at_ms(udp, cut_at),
        "udp_echoes_after_cut": echoes_sent_after(udp, cut_at),
        "tcp_longest_stall_ms": longest_gap_ms(tcp),
        "tcp_stall_at_cut_ms": gap_at_ms(tcp, cut_at),
        "tcp_echoes_after_cut": echoes_sent_after(tcp, cut_at),
    }
    problems = []
    if figures["udp_longest_gap_ms"] > MAX_UDP_GAP_MS:
        problems.append(f"UDP went {figures['udp_longest_gap_ms']} ms without an echo "
                        f"(at most {MAX_UDP_GAP_MS})")
    if figures["tcp_longest_stall_ms"] >= MAX_TCP_STALL_MS:
        problems.append(f"TCP stalled {figures['tcp_longest_stall_ms']} ms "
                        f"(under {MAX_TCP_STALL_MS})")
    for proto in ("udp", "tcp"):
        if figures[f"{proto}_echoes_after_cut"] == 0:
            problems.append(f"no {proto.upper()} echo of anything sent after the cut")
    return figures, problems


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
    echoes: list[list[float]] = []
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
                    seq = PACK.unpack(data[: PACK.size])[0]
                    if seq not in received and seq < len(sent):
                        received.add(seq)
                        echoes.append([seq, round(sent[seq], 4), round(time.monotonic(), 4)])
            else:
                tcp.readable()
    runs = loss_runs(received, sent, interval)
    return {"sent": len(sent), "received": len(received), "interval_ms": interval * 1000,
            "longest_gap_ms": max((r["gap_ms"] for r in runs), default=0),
            "runs": runs, "timeline": timeline(sent, echoes), "tcp": tcp.result()}


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
