"""The Ansible inventory of a lab: reachable from the machine's own namespace."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from mlps.lab.names import LabNames
from mlps.lab.topology import Topology


def proxy_command(names: LabNames) -> str:
    """SSH ProxyCommand that opens the TCP connection from inside the lab namespace."""
    return f"nsenter --net={names.netns_path(names.lab_netns)} socat - TCP:%h:%p"


def ssh_options(names: LabNames) -> list[str]:
    """``ssh`` options that reach a lab host from the machine's namespace."""
    return [
        "-o",
        f"ProxyCommand={proxy_command(names)}",
        "-o",
        f"UserKnownHostsFile={names.state_dir / 'known_hosts'}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "ConnectTimeout=10",
        "-i",
        str(names.state_dir / "id_ed25519"),
    ]


def host_vars(topo: Topology, host: str) -> dict[str, Any]:
    networks = {
        net.name: {
            "interface": ifname,
            "address": str(net.members[host]),
            "prefix": net.cidr.prefixlen,
            "cidr": str(net.cidr),
        }
        for ifname, net in topo.interfaces(host)
    }
    return {"ansible_host": str(topo.management.members[host]), "lab_networks": networks}


def render(names: LabNames, topo: Topology) -> str:
    common = " ".join(
        [
            f'-o ProxyCommand="{proxy_command(names)}"',
            f"-o UserKnownHostsFile={names.state_dir / 'known_hosts'}",
            "-o StrictHostKeyChecking=yes",
            "-o IdentitiesOnly=yes",
        ]
    )
    data: dict[str, Any] = {
        "all": {
            "vars": {
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(names.state_dir / "id_ed25519"),
                "ansible_ssh_common_args": common,
                "ansible_ssh_host_key_checking": True,
                "ansible_control_path_dir": str(names.state_dir / "cp"),
                "ansible_python_interpreter": "/usr/bin/python3",
                "lab_name": names.lab,
                # The automation controller is the lab namespace's own address: declared, so the
                # baseline lets root in by key from there and from nowhere else (CES-ACL-02).
                "baseline_firewall_controller_sources": [f"{topo.lab_address}/32"],
            },
            "hosts": {h: host_vars(topo, h) for h in topo.hosts},
        }
    }
    if topo.groups:
        data["all"]["children"] = {
            g: {"hosts": {h: None for h in members}} for g, members in topo.groups.items()
        }
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.dump(data, out)
    return out.getvalue()


def write(names: LabNames, topo: Topology) -> Path:
    path = names.state_dir / "inventory.yml"
    path.write_text(render(names, topo))
    return path
