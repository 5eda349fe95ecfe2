"""A lab from an environment spec: its hosts, zones and inventory, with a router between zones.

One lab host per spec host (same name, same address in its zone), one lab network per zone
(the zone's CIDR, named ``zone-<zone>``), and one router host on every zone network that
forwards between them without filtering. Every host keeps ``eth0`` on the lab's management
network, over which Ansible connects. The inventory is the one ``mlps synth`` writes for the
spec (stacks/inventory.py) with the lab's connection variables added.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlps.errors import InputError
from mlps.lab.inventory import host_vars, proxy_command
from mlps.lab.names import LabNames
from mlps.lab.topology import DEFAULT_MGMT_CIDR, Topology, build

ROUTER = "zone-router"
ZONE_PREFIX = "zone-"
MGMT_CANDIDATES = (DEFAULT_MGMT_CIDR, "172.31.255.0/24", "192.168.255.0/24")
ROOT = Path(__file__).resolve().parents[2]  # the checkout: stacks/ sits beside mlps/


@dataclass(frozen=True)
class SpecLab:
    """What a spec becomes in the lab: the topology and the spec's environment."""

    spec_file: str
    topology: Topology
    env: Any  # stacks.model.Environment (imported lazily)


def network_name(zone: str) -> str:
    return ZONE_PREFIX + zone.lower().replace("_", "-")


def load(path: Path) -> SpecLab:
    """Read and check the spec at ``path`` and map it to a lab; InputError if it cannot be."""
    from mlps.spec import load_spec
    from mlps.synth.project import importable

    spec = load_spec(path)
    importable(ROOT)
    from stacks.model import environment

    env = environment(spec.effective)
    return SpecLab(str(path), topology(env, str(path)), env)


def topology(env: Any, file: str) -> Topology:
    """The lab topology of a spec's environment (on-prem zones only)."""
    cloud = [z.name for z in env.zones if z.placement != "onprem"]
    if cloud:
        raise InputError(
            file,
            f"zones placed in the cloud cannot be built in the lab: {', '.join(cloud)}",
            "use an onprem spec (e.g. Pulumi.onprem-lab.yaml); see docs/lab.md",
        )
    names = [h.name for h in env.hosts]
    if ROUTER in names:
        raise InputError(file, f"host name {ROUTER!r} is the lab's router", "rename that host")
    zone_cidrs = {z.name: ipaddress.IPv4Network(z.cidr) for z in env.zones}
    networks: list[dict[str, Any]] = []
    router_at: dict[str, ipaddress.IPv4Address] = {}
    for zone in env.zones:
        cidr = zone_cidrs[zone.name]
        members = {h.name: str(ipaddress.IPv4Address(h.address)) for h in env.hosts if h.zone == zone.name}
        taken = set(members.values())
        free = next((a for a in cidr.hosts() if str(a) not in taken), None)
        if free is None:
            raise InputError(file, f"zone {zone.name} has no free address for the lab's router", "")
        router_at[zone.name] = free
        members[ROUTER] = str(free)
        networks.append({"name": network_name(zone.name), "cidr": str(cidr), "members": members})
    routes = {
        h.name: [
            {"to": str(cidr), "via": str(router_at[h.zone])}
            for zone, cidr in zone_cidrs.items()
            if zone != h.zone
        ]
        for h in env.hosts
    }
    mgmt = next(
        (c for c in MGMT_CANDIDATES
         if not any(ipaddress.IPv4Network(c).overlaps(z) for z in zone_cidrs.values())),
        None,
    )
    if mgmt is None:
        raise InputError(
            file, "the zones overlap every management network the lab can use",
            f"keep one of {', '.join(MGMT_CANDIDATES)} free of zones",
        )
    data = {
        "management": {"cidr": mgmt},
        "hosts": [*names, ROUTER],
        "networks": networks,
        "routers": [ROUTER],
        "routes": routes,
    }
    return build(data, file, mgmt)


def connection_vars(names: LabNames, topo: Topology) -> dict[str, Any]:
    """The lab's connection variables for ``all``: user, key, proxied SSH with strict host keys."""
    known = names.state_dir / "known_hosts"
    return {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(names.state_dir / "id_ed25519"),
        "ansible_ssh_common_args": " ".join(
            [
                f'-o ProxyCommand="{proxy_command(names)}"',
                f"-o UserKnownHostsFile={known}",
                "-o StrictHostKeyChecking=yes",
                "-o IdentitiesOnly=yes",
            ]
        ),
        "ansible_ssh_host_key_checking": True,
        "ansible_control_path_dir": str(names.state_dir / "cp"),
        "ansible_python_interpreter": "/usr/bin/python3",
        "lab_name": names.lab,
        # The controller is the lab namespace's own management address (CES-ACL-02).
        "baseline_firewall_controller_sources": [f"{topo.lab_address}/32"],
    }


def inventory_data(lab: SpecLab, names: LabNames) -> dict[str, Any]:
    """The synth inventory of the spec, with the lab's connection variables added."""
    importable_root()
    from stacks.inventory import inventory, mark_unsafe
    from stacks.known_hosts import CONNECTION_VARS

    data: dict[str, Any] = mark_unsafe(inventory(lab.env))
    all_ = data["all"]
    all_["vars"].update(CONNECTION_VARS)
    all_["vars"].update(connection_vars(names, lab.topology))
    for host, hvars in all_["hosts"].items():
        hvars.update(host_vars(lab.topology, host))
    return data


def render_inventory(lab: SpecLab, names: LabNames) -> str:
    importable_root()
    from stacks.inventory import dump_inventory

    return dump_inventory(inventory_data(lab, names))


def importable_root() -> None:
    from mlps.synth.project import importable

    importable(ROOT)
