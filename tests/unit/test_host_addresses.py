"""Roles put a host's own address (``mlps_address``) in rules and bindings, not the address
Ansible connects to: on a spec lab the two differ, as on a site whose controller reaches hosts
over a management network. Before, every audit server admitted records only from the lab's
management addresses and no record arrived (CES-AUDIT-04)."""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from mlps.ansible_run import run_playbook
from mlps.lab import from_spec
from mlps.lab.names import LabNames
from stacks.inventory import dump_inventory

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "Pulumi.onprem-lab.yaml"
PLAYBOOK = ROOT / "tests" / "roles" / "playbooks" / "address_render.yml"
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


@pytest.fixture(scope="module")
def lab() -> from_spec.SpecLab:
    return from_spec.load(SPEC)


@pytest.fixture(scope="module")
def rendered(lab: from_spec.SpecLab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("addresses")
    inventory = out / "inventory.yml"
    inventory.write_text(dump_inventory(from_spec.inventory_data(lab, LabNames("mlps-t-addr"))),
                         encoding="utf-8")
    run = run_playbook(PLAYBOOK, inventory, extra_vars={
        "render_dir": str(out), "ansible_python_interpreter": sys.executable})
    assert run.ok, run.output[-4000:]
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}


def spec_address(lab: from_spec.SpecLab) -> dict[str, str]:
    return {h.name: h.address for h in lab.env.hosts}


def with_role(lab: from_spec.SpecLab, role: str) -> list[str]:
    return [h.name for h in lab.env.hosts if role in h.roles]


def test_no_rendered_value_names_a_management_address(
        lab: from_spec.SpecLab, rendered: dict[str, Any]) -> None:
    assert set(rendered) == set(spec_address(lab))
    management = lab.topology.management.cidr
    for host, values in rendered.items():
        found = [a for a in IPV4.findall(json.dumps(values))
                 if ipaddress.ip_address(a) in management]
        assert found == [], f"{host}: {found}"


def test_ssh_is_admitted_from_the_bastions_zone_address(
        lab: from_spec.SpecLab, rendered: dict[str, Any]) -> None:
    bastions = [spec_address(lab)[h] for h in with_role(lab, "bastion")]
    assert bastions
    for values in rendered.values():
        assert values["ssh_sources"] == bastions


def test_bastion_forwards_to_every_other_host_at_its_zone_address(
        lab: from_spec.SpecLab, rendered: dict[str, Any]) -> None:
    (bastion,) = with_role(lab, "bastion")
    others = [a for h, a in spec_address(lab).items() if h != bastion]
    assert sorted(rendered[bastion]["forward_targets"]) == sorted(f"{a}:22" for a in others)


def test_audit_servers_bind_each_sender_to_its_zone_address(
        lab: from_spec.SpecLab, rendered: dict[str, Any]) -> None:
    servers = with_role(lab, "log_audit_server")
    assert len(servers) == 2
    for server in servers:
        assert rendered[server]["peer_bindings"] == {h: [a] for h, a in spec_address(lab).items()}
        admitted = [e for e in rendered[server]["ingress"] if e["ports"] == [2514]]
        assert len(admitted) == 1
        assert set(spec_address(lab).values()) <= set(admitted[0]["sources"])


def test_storage_and_kubernetes_bind_to_zone_addresses(
        lab: from_spec.SpecLab, rendered: dict[str, Any]) -> None:
    address = spec_address(lab)
    stores = with_role(lab, "object_storage")
    for host in stores:
        assert rendered[host]["storage_bind"] == address[host]
        assert rendered[host]["storage_addresses"] == {h: address[h] for h in stores}
    control = with_role(lab, "k8s_control_plane")
    for host in control:
        assert rendered[host]["k8s_address"] == address[host]
        assert rendered[host]["k8s_endpoint"].startswith(f"{address[control[0]]}:")


def test_kubelet_is_given_the_zone_address_as_node_ip(
        lab: from_spec.SpecLab, rendered: dict[str, Any]) -> None:
    """Without --node-ip kubelet registers the default route's address, here the management one."""
    address = spec_address(lab)
    nodes = with_role(lab, "k8s_node")
    assert nodes
    for host in nodes:
        dropin = rendered[host]["kubelet_dropin"]
        assert f'Environment="KUBELET_NODE_ARGS=--node-ip={address[host]}"' in dropin
        assert "$KUBELET_NODE_ARGS" in dropin.split("ExecStart=")[-1]


NODE_IP = ROOT / "tests" / "roles" / "playbooks" / "node_ip_render.yml"
NOT_AN_ADDRESS = ["999.1.1.1", "010.1.1.1", "10.1.2.3\n", "10.1.2", ":", "abc:", "node-1", ""]
ADDRESSES = ["10.20.3.11", "255.255.255.255", "0.0.0.0", "fd00:20::11", "::1"]


def test_only_an_ip_address_is_given_to_kubelet_as_node_ip(tmp_path: Path) -> None:
    """kubelet refuses to start on a --node-ip it cannot parse: a host name, a bad octet or a stray
    newline leaves the choice to kubelet instead."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost: {}\n", encoding="utf-8")
    run = run_playbook(NODE_IP, inventory, extra_vars={
        "render_dir": str(tmp_path), "node_ip_candidates": ADDRESSES + NOT_AN_ADDRESS,
        "ansible_python_interpreter": sys.executable})
    assert run.ok, run.output[-4000:]
    rendered = json.loads((tmp_path / "node_ip.json").read_text(encoding="utf-8"))
    for address in ADDRESSES:
        assert f'KUBELET_NODE_ARGS=--node-ip={address}"\n' in rendered[address], address
    for other in NOT_AN_ADDRESS:
        assert "--node-ip" not in rendered[other], repr(other)
        assert "$KUBELET_NODE_ARGS" in rendered[other]
