"""Wire the link-failover lab: carrier and endpoint routes, edge variables, inventory, probes.

Shared by tests/roles/test_link_failover.py and bench/link_failover.py. Addresses come from
the lab (tests/roles/topologies/link-failover.yml), never from constants duplicated here.
"""

from __future__ import annotations

import json
import secrets
import shlex
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlps.lab import Lab

HERE = Path(__file__).resolve().parent
TOPOLOGY = HERE / "topologies" / "link-failover.yml"
PLAYBOOK = HERE / "playbooks" / "link-failover.yml"
VERIFY_PLAYBOOK = HERE / "playbooks" / "link-failover-verify.yml"
PROBE = HERE / "link_failover_probe.py"
PROBE_PATH = "/root/link_failover_probe.py"

HOSPITAL_EDGE, CLOUD_EDGE = "edge-h", "edge-c"
LAN_HOST, SERVER_HOST = "lan", "srv"
HOSPITAL_ASN, CLOUD_ASN = 65010, 65020
HOSPITAL_PREFIX, CLOUD_PREFIX = "10.20.0.0/22", "172.16.10.0/24"


@dataclass(frozen=True)
class Line:
    """One dedicated line: its carrier host and the segments on each side of it."""

    name: str
    role: str
    carrier: str
    near: str  # segment hospital edge - carrier
    far: str  # segment carrier - cloud edge


LINES = (
    Line("line-ct", "primary", "carrier-a", "a-near", "a-far"),
    Line("line-cu", "backup", "carrier-b", "b-near", "b-far"),
)
PRIMARY, BACKUP = LINES


def addr(lab: Lab, host: str, network: str) -> str:
    return lab.hosts[host].addresses[network]


def iface(lab: Lab, host: str, network: str) -> str:
    return lab.hosts[host].interfaces[network]


def server_address(lab: Lab) -> str:
    return addr(lab, SERVER_HOST, "dmz")


def wire(lab: Lab) -> None:
    """Carriers route between their two segments; LAN host and server route via their edge."""
    for line in LINES:
        near_edge = addr(lab, HOSPITAL_EDGE, line.near)
        far_edge = addr(lab, CLOUD_EDGE, line.far)
        lab.run(line.carrier, " && ".join([
            "sysctl -qw net.ipv4.ip_forward=1",
            f"ip route replace {HOSPITAL_PREFIX} via {near_edge}",
            f"ip route replace {CLOUD_PREFIX} via {far_edge}",
        ]))
    lab.run(LAN_HOST, f"ip route replace {CLOUD_PREFIX} via {addr(lab, HOSPITAL_EDGE, 'lan')}")
    lab.run(SERVER_HOST, f"ip route replace {HOSPITAL_PREFIX} via {addr(lab, CLOUD_EDGE, 'dmz')}")
    for host in (LAN_HOST, SERVER_HOST):
        lab.run(host, f"cat > {PROBE_PATH}", input=PROBE.read_text())


def new_passwords() -> dict[str, str]:
    """Fresh BGP passwords, one per line (never stored anywhere but the test's temp dir)."""
    return {line.name: secrets.token_urlsafe(18) for line in LINES}


def edge_vars(lab: Lab, passwords: dict[str, str], bfd_profile: str) -> dict[str, dict[str, Any]]:
    """Role variables of both edges: the same role, the peerings seen from each side."""
    sides = {
        HOSPITAL_EDGE: (HOSPITAL_ASN, CLOUD_ASN, HOSPITAL_PREFIX, CLOUD_PREFIX),
        CLOUD_EDGE: (CLOUD_ASN, HOSPITAL_ASN, CLOUD_PREFIX, HOSPITAL_PREFIX),
    }
    out: dict[str, dict[str, Any]] = {}
    for edge, (asn, peer_asn, announce, accept) in sides.items():
        other = CLOUD_EDGE if edge == HOSPITAL_EDGE else HOSPITAL_EDGE
        peerings = []
        for line in LINES:
            mine, theirs = (line.near, line.far) if edge == HOSPITAL_EDGE else (line.far, line.near)
            peerings.append({
                "name": line.name, "role": line.role,
                "interface": iface(lab, edge, mine),
                "local_address": addr(lab, edge, mine),
                "peer_address": addr(lab, other, theirs),
                "gateway": addr(lab, line.carrier, mine),
                "peer_asn": peer_asn,
            })
        out[edge] = {
            "link_failover_local_asn": asn,
            "link_failover_peerings": peerings,
            "link_failover_announce_prefixes": [announce],
            "link_failover_accept_prefixes": [accept],
            "link_failover_bfd_profile": bfd_profile,
            "link_failover_bgp_passwords": {line.name: passwords[line.name] for line in LINES},
        }
    return out


def write_inventory(lab: Lab, host_vars: dict[str, dict[str, Any]], path: Path) -> Path:
    """The lab's inventory with the edges' role variables added (file mode 0600)."""
    data = yaml.safe_load(lab.inventory_path.read_text())
    hosts = data["all"]["hosts"]
    for host, extra in host_vars.items():
        hosts[host].update(extra)
    path.write_text(yaml.safe_dump(data, sort_keys=True))
    path.chmod(0o600)
    return path


def route_dev(lab: Lab, edge: str, prefix: str) -> str:
    """Interface the edge's kernel uses for ``prefix`` ('' if there is no route)."""
    out = lab.run(edge, f"ip -j route show exact {prefix}").stdout
    routes = json.loads(out or "[]")
    return str(routes[0].get("dev", "")) if routes else ""


def on_line(lab: Lab, line: Line) -> bool:
    """Both edges route the far side's prefix over ``line`` (both ends must switch)."""
    return (route_dev(lab, HOSPITAL_EDGE, CLOUD_PREFIX) == iface(lab, HOSPITAL_EDGE, line.near)
            and route_dev(lab, CLOUD_EDGE, HOSPITAL_PREFIX) == iface(lab, CLOUD_EDGE, line.far))


def forwarded_packets(lab: Lab, line: Line) -> int:
    """Packets the carrier of ``line`` forwarded towards the cloud edge so far."""
    out = lab.run(line.carrier, f"cat /sys/class/net/{iface(lab, line.carrier, line.far)}"
                                "/statistics/tx_packets").stdout
    return int(out.strip())


def start_server(lab: Lab) -> None:
    lab.run(SERVER_HOST, "systemctl stop lf-probe 2>/dev/null; systemctl reset-failed lf-probe "
                         f"2>/dev/null; systemd-run --unit lf-probe python3 {PROBE_PATH} server")


CLIENT_PIDFILE = "/run/lf-probe-client.pid"


def start_client(lab: Lab, pool: ThreadPoolExecutor, seconds: float) -> Future[dict[str, Any]]:
    """Probe the server from the LAN host for ``seconds`` (or until ``stop_client``);
    the future gives the measurement."""
    cmd = (f"rm -f {CLIENT_PIDFILE}; python3 {PROBE_PATH} client --target {shlex.quote(server_address(lab))} "
           f"--seconds {seconds:g} --pidfile {CLIENT_PIDFILE}")

    def go() -> dict[str, Any]:
        proc = lab.run(LAN_HOST, cmd, timeout=seconds + 30)
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        return result

    return pool.submit(go)


def stop_client(lab: Lab) -> None:
    """End the running probe client (by the process id it wrote); it then reports."""
    lab.run(LAN_HOST, f"kill -TERM $(cat {CLIENT_PIDFILE}) 2>/dev/null || true")


def bird_state(lab: Lab, edge: str) -> str:
    """``birdc show protocols`` of an edge (states and last errors of the sessions)."""
    return lab.run(edge, "birdc -r show protocols", check=False).stdout


def bird_pid_and_restarts(lab: Lab, edge: str) -> tuple[str, str]:
    out = lab.run(edge, "systemctl show bird -p MainPID -p NRestarts --value").stdout.split()
    return out[0], out[1]
