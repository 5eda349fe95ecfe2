"""Hosts repeated by name or address never reach an inventory: the gate refuses the spec, and
the inventory itself refuses rather than merging or dropping an entry."""

from __future__ import annotations

import dataclasses

import pytest
from synthfix import EXAMPLES, modified

from mlps.synth.mockrun import Registration, run_program
from mlps.synth.run import SynthResult
from stacks.inventory import DuplicateHost, inventory, load_inventory
from stacks.model import environment
from stacks.program import SpecViolation, build


def _same_name(data: dict) -> None:
    data["hosts"][12]["name"] = data["hosts"][11]["name"]


def _same_address(data: dict) -> None:
    data["hosts"][12]["address"] = data["hosts"][11]["address"]


@pytest.mark.parametrize("change", [_same_name, _same_address])
def test_gate_refuses_duplicate_hosts(change) -> None:  # type: ignore[no-untyped-def]
    spec = modified("hybrid-prod", change)
    registered: list[Registration] = []
    with pytest.raises(SpecViolation) as caught:
        run_program(lambda: build(spec), "mlps", "hybrid-prod", {}, sink=registered)
    assert registered == []
    assert "CNS-ZONE-01" in str(caught.value)


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("name", "k8s-node-1", "/hosts/12/name repeats /hosts/11/name (k8s-node-1)"),
    ("address", "10.20.01.11", "/hosts/12/address repeats /hosts/11/address (10.20.01.11)"),
])
def test_inventory_refuses_rather_than_merges(field: str, value: str, shown: str) -> None:
    env = environment(modified("hybrid-prod", lambda d: None).effective)
    hosts = list(env.hosts)
    hosts[12] = dataclasses.replace(hosts[12], **{field: value})
    with pytest.raises(DuplicateHost) as caught:
        inventory(dataclasses.replace(env, hosts=tuple(hosts)))
    assert shown in str(caught.value)
    assert "give each host its own name and address" in str(caught.value)


@pytest.mark.parametrize("stack", EXAMPLES)
def test_synthesized_inventory_keeps_every_host(stack: str, synthesized: dict[str, SynthResult]) -> None:
    result = synthesized[stack]
    hosts = load_inventory(result.files["inventory.yml"])["all"]["hosts"]
    spec_hosts = result.spec.effective.get("hosts", [])
    assert sorted(hosts) == sorted(h["name"] for h in spec_hosts)
    assert sorted(h["ansible_host"] for h in hosts.values()) == sorted(
        h["address"] for h in spec_hosts)
