"""The apt relay: the lab cannot reach the machine's network, so for each mirror endpoint a
socat in the lab namespace listens on a management address and passes each connection
through a unix socket to a socat in the machine's namespace that connects to the mirror.
Lab hosts resolve the mirror's name to that address (/etc/hosts), so URLs, the HTTP Host
header and TLS names stay the mirror's own.
"""

from __future__ import annotations

import functools
import socket

from mlps.lab import cgroups
from mlps.lab.names import LabNames
from mlps.lab.proc import run, spawn, wait_for
from mlps.lab.topology import Topology


def start(names: LabNames, topo: Topology, endpoints: list[tuple[str, int]]) -> None:
    rel = names.relay_cgroup_rel
    cgroups.create(rel)
    join = cgroups.join_script(rel)
    log = names.state_dir / "relay.log"
    for i, (host, port) in enumerate(endpoints):
        sock = names.state_dir / f"relay{i}.sock"
        outside = f"socat UNIX-LISTEN:{sock},fork,unlink-early,mode=600 TCP:{host}:{port}"
        inside = (
            f"nsenter --net={names.netns_path(names.lab_netns)} socat "
            f"TCP-LISTEN:{port},bind={topo.relay_address(i)},fork,reuseaddr UNIX-CONNECT:{sock}"
        )
        spawn(["/bin/sh", "-c", f"{join}exec {outside}"], log)
        wait_for(sock.exists, 30, f"the apt relay for {host}:{port} did not start")
        spawn(["/bin/sh", "-c", f"{join}exec {inside}"], log)
        listening = functools.partial(_listening, names, str(topo.relay_address(i)), port)
        wait_for(listening, 30, f"the apt relay for {host}:{port} did not listen in the lab")


def _listening(names: LabNames, address: str, port: int) -> bool:
    out = run(
        ["ip", "netns", "exec", names.lab_netns, "ss", "-Hltn", f"src {address}:{port}"],
        "checking the relay",
        check=False,
    ).stdout
    return bool(out.strip())


def hosts_lines(topo: Topology, endpoints: list[tuple[str, int]]) -> list[str]:
    """/etc/hosts lines that send each mirror name to its relay address."""
    lines = []
    for i, (host, _port) in enumerate(endpoints):
        try:
            socket.inet_aton(host)
            continue  # a mirror given by address: its sources name the relay instead
        except OSError:
            lines.append(f"{topo.relay_address(i)}\t{host}")
    return lines
