"""Host identity and outbound allowlists without hosts: every way Ansible is run checks host
keys strictly; the spec's keys become known_hosts; the egress allowlist follows the spec's flows
(verify's reading of it: test_egress_verify.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import mlps.ansible_run as ansible_run
from mlps.lab.inventory import render, ssh_options
from mlps.lab.names import LabNames
from mlps.lab.topology import default_topology
from stacks.components.ansible import _SCRIPT
from stacks.known_hosts import CONNECTION_VARS, render_known_hosts
from tests.unit.baseline_module import load

ROOT = Path(__file__).resolve().parents[2]
ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtestkeyhost1"
CA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtestkeyca"
EGRESS = load("baseline_egress")


def test_ansible_cfg_checks_host_keys() -> None:
    text = (ROOT / "ansible.cfg").read_text()
    assert "host_key_checking = True" in text
    assert "StrictHostKeyChecking=yes" in text
    assert "StrictHostKeyChecking=no" not in text


def test_lab_inventory_and_ssh_use_the_labs_known_hosts_strictly() -> None:
    names = LabNames("mlps-t-kh")
    common = yaml.safe_load(render(names, default_topology(2)))["all"]["vars"]
    assert "StrictHostKeyChecking=yes" in common["ansible_ssh_common_args"]
    assert f"UserKnownHostsFile={names.state_dir / 'known_hosts'}" in common["ansible_ssh_common_args"]
    assert common["ansible_ssh_host_key_checking"] is True
    opts = ssh_options(names)
    assert "StrictHostKeyChecking=yes" in opts and "StrictHostKeyChecking=no" not in opts


def test_run_playbook_keeps_host_key_checking_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ansible-runner turns checking off unless told; a caller cannot turn it off either."""
    seen: dict[str, Any] = {}

    class Done:
        rc, status, stdout, stats = 0, "successful", None, None

    def fake_run(**kwargs: Any) -> Done:
        seen.update(kwargs["envvars"])
        return Done()

    monkeypatch.setattr("mlps.ansible_run.ansible_runner.run", fake_run)
    off = {"ANSIBLE_HOST_KEY_CHECKING": "False"}
    ansible_run.run_playbook(tmp_path / "p.yml", tmp_path / "i.yml", env=off)
    assert seen["ANSIBLE_HOST_KEY_CHECKING"] == "True"


def test_spec_host_keys_and_cas_become_known_hosts() -> None:
    spec = {
        "hosts": [
            {"name": "his-app-1", "address": "10.20.1.11", "ssh_host_key": ED},
            {"name": "his-db-1", "address": "10.20.2.11"},
        ],
        "baseline": {"ssh": {"host_certificate_authorities": [CA]}},
    }
    assert render_known_hosts(spec).splitlines() == [
        f"his-app-1,10.20.1.11 {ED}",
        f"@cert-authority his-app-1,10.20.1.11,his-db-1,10.20.2.11 {CA}",
    ]
    assert render_known_hosts({"hosts": []}) == ""


def test_generated_inventory_and_pulumi_run_check_keys_against_that_file() -> None:
    args = CONNECTION_VARS["ansible_ssh_common_args"]
    assert "UserKnownHostsFile={{ inventory_dir }}/known_hosts" in args
    assert "StrictHostKeyChecking=yes" in args
    assert CONNECTION_VARS["ansible_ssh_host_key_checking"] is True
    assert '"$d/known_hosts"' in _SCRIPT and '"$d/inventory.yml"' in _SCRIPT
    assert "ANSIBLE_HOST_KEY_CHECKING=True" in _SCRIPT


def test_egress_follows_the_spec_flows_out_of_the_hosts_zone() -> None:
    zones = [
        {"name": "app", "cidr": "10.20.1.0/24", "ingress": [{"from": "dmz", "ports": [8080]}]},
        {"name": "data", "cidr": "10.20.2.0/24", "ingress": [{"from": "app", "ports": [5432]},
                                                             {"from": "internet", "ports": [443]}]},
        {"name": "dmz", "cidr": "172.16.10.0/24", "ingress": []},
    ]
    rules, unresolved = EGRESS.build([], False, False, EGRESS.flows(zones, "app"))
    assert rules == [{"v4": ["10.20.2.0/24"], "v6": [], "proto": "tcp", "ports": ["5432"],
                      "comment": "flow app -> data"}]
    assert unresolved == []
    assert EGRESS.flows(zones, "") == []
    forwards = EGRESS.forwards(EGRESS.zone_forwards(zones))
    assert [(f["sources"], f["dest"], f["ports"]) for f in forwards] == [
        (["172.16.10.0/24"], ["10.20.1.0/24"], ["8080"]),
        (["10.20.1.0/24"], ["10.20.2.0/24"], ["5432"]),
        ([], ["10.20.2.0/24"], ["443"]),
    ]


def test_log_servers_given_with_their_port_keep_it() -> None:
    rules = EGRESS.expand([{"dest": ["10.20.9.10", {"host": "10.20.9.11", "port": 6514}],
                            "proto": "tcp", "ports": [2514], "comment": "log servers"}])
    assert [(r["dest"], r["ports"]) for r in rules] == [(["10.20.9.10"], [2514]), (["10.20.9.11"], [6514])]


def test_unresolvable_names_are_reported_not_allowed() -> None:
    rules, unresolved = EGRESS.build([{"dest": ["no-such-host.invalid"], "proto": "udp", "ports": [123]}],
                                     False, False, [])
    assert rules == [] and unresolved == ["no-such-host.invalid"]


def test_spec_flows_into_the_zone_are_admitted_without_the_ssh_port() -> None:
    zones = [
        {"name": "mgmt", "cidr": "10.110.0.0/24", "ingress": [{"from": "office", "ports": [22]}]},
        {"name": "storage", "cidr": "10.130.0.0/24",
         "ingress": [{"from": "core", "ports": [8333]}, {"from": "mgmt", "ports": [22]}]},
        {"name": "core", "cidr": "10.120.0.0/22", "ingress": [{"from": "office", "ports": [443, 22]}]},
        {"name": "dmz", "cidr": "10.150.0.0/24",
         "ingress": [{"from": "internet", "ports": [443]}, {"from": "nowhere", "ports": [80]}]},
        {"name": "office", "cidr": "10.140.0.0/20"},
        {"name": "voice", "cidr": "10.160.0.0/24",
         "ingress": [{"from": "office", "protocol": "udp", "ports": [22, 5060]}]},
    ]
    assert EGRESS.inbound(zones, "mgmt", 22) == []
    assert EGRESS.inbound(zones, "storage", 22) == [{"v4": ["10.120.0.0/22"], "v6": [], "proto": "tcp",
                                                     "ports": ["8333"], "comment": "flow core -> storage"}]
    assert EGRESS.inbound(zones, "core", 22)[0]["ports"] == ["443"]
    assert EGRESS.inbound(zones, "core", 2222)[0]["ports"] == ["443", "22"]
    assert EGRESS.inbound(zones, "dmz", 22) == [
        {"v4": [], "v6": [], "proto": "tcp", "ports": ["443"], "comment": "flow internet -> dmz"}]
    assert EGRESS.inbound(zones, "office", 22) == [] and EGRESS.inbound(zones, "", 22) == []
    assert EGRESS.inbound(zones, "voice", 22)[0]["ports"] == ["22", "5060"]  # UDP 22 is no SSH
