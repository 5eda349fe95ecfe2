"""Mutated flows into core and storage: whenever an administrative port becomes reachable from a
zone other than the bastion's, SMC-CEN-02 fires at that flow; from the bastion's zone it never
does; validation never crashes.

The administrative ports here are the test's own list (the ones the requirement names), not the
checker's table, so a port dropped from the table fails this test."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlps.checks.admin import admin_services
from mlps.spec import load_spec, spec_from_config
from mlps.validate import validate

ROOT = Path(__file__).resolve().parent
BASE = load_spec(ROOT.parent / "Pulumi.hybrid-prod.yaml").data
BASTION_ZONE = "mgmt"
TARGETS = {1: "core", 2: "storage"}
SOURCES = ["office", "mgmt", "cloud-mgmt", "edge", "dmz", "storage", "core", "internet"]
ORACLE: dict[str, set[int]] = {
    "tcp": {22, 23, 2222, 3389, 5985, 5986, *range(5900, 5911), 1433, 1521, 3306, 5432, 27017,
            6379, 623},
    "udp": {623, 3389},
}
"""SSH (22, 2222), Telnet, RDP, WinRM, VNC, the database administration ports, IPMI."""

ports = st.lists(st.one_of(st.sampled_from(sorted(ORACLE["tcp"] | ORACLE["udp"])),
                           st.integers(1, 65535)),
                 min_size=1, max_size=4, unique=True)
flows = st.fixed_dictionaries({"from": st.sampled_from(SOURCES),
                               "protocol": st.sampled_from(["tcp", "udp"]), "ports": ports})


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """The compliant example with flows into core and storage changed, moved and added."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        zone = data["zones"][draw(st.sampled_from(sorted(TARGETS)))]
        ingress = zone.setdefault("ingress", [])
        action = draw(st.sampled_from(["replace", "port", "protocol", "source", "move", "add"]))
        if action == "add" or not ingress:
            ingress.append(draw(flows))
            continue
        flow = ingress[draw(st.integers(0, len(ingress) - 1))]
        if action == "replace":
            flow.clear()
            flow.update(draw(flows))
        elif action == "port":
            flow["ports"] = draw(ports)
        elif action == "protocol":
            flow["protocol"] = draw(st.sampled_from(["tcp", "udp"]))
        elif action == "source":
            flow["from"] = draw(st.sampled_from(SOURCES))
        else:
            ingress.remove(flow)
            other = 3 - data["zones"].index(zone)
            data["zones"][other].setdefault("ingress", []).append(flow)
    return data


def exposed(flow: dict[str, Any]) -> bool:
    return bool(ORACLE[flow.get("protocol", "tcp")] & set(flow["ports"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_admin_port_from_a_non_bastion_zone_always_fires(data: dict[str, Any]) -> None:
    result = validate(spec_from_config(data, "mutated.yaml"), level=3)
    fired = {f.pointer for f in result.findings if f.control == "SMC-CEN-02"}
    for index, name in TARGETS.items():
        for j, flow in enumerate(data["zones"][index].get("ingress", [])):
            pointer = f"/zones/{index}/ingress/{j}/from"
            if flow["from"] == BASTION_ZONE:
                assert pointer not in fired, flow
            elif flow["from"] != name and exposed(flow):
                assert pointer in fired, (name, flow)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(-5, 70000), st.booleans(), st.none(), st.text(max_size=12),
                          st.tuples(st.integers(0, 70000), st.integers(0, 70000)).map(
                              lambda t: f"{t[0]}-{t[1]}")), max_size=5),
       st.sampled_from(["tcp", "udp", "icmp", ""]))
def test_any_port_list_is_judged_without_crashing(raw: list[Any], protocol: str) -> None:
    found = admin_services({"protocol": protocol, "ports": raw})
    singles = {p for p in raw if isinstance(p, int) and not isinstance(p, bool)}
    for port in ORACLE.get(protocol, set()) & singles:
        assert any(a.first <= port <= a.last for a in found), port
