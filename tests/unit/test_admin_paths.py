"""Administration paths (SMC-CEN-02, CES-IPS-03): every administrative protocol and port into
core and storage only from the bastion's zone, into other zones only from management zones;
administrator terminals never in server zones."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from mlps.checks import REGISTRY
from mlps.checks.admin import ADMIN_PORTS, admin_services
from mlps.spec import load_spec, spec_from_config
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]
HYBRID = load_spec(ROOT / "Pulumi.hybrid-prod.yaml")
CORE, STORAGE, MGMT, EDGE, CLOUD_MGMT = 1, 2, 0, 4, 6
PATH_CONTROLS = ("SMC-CEN-02", "CES-IPS-03")


def with_flow(zone: int, flow: dict[str, Any], level: int = 3,
              change: Any = None) -> set[tuple[str, str]]:
    """(control, pointer) of every failing administration-path finding once ``flow`` is added
    to zone ``zone``."""
    data = copy.deepcopy(HYBRID.data)
    data["zones"][zone].setdefault("ingress", []).append(flow)
    if change:
        change(data)
    result = validate(spec_from_config(data, "spec.yaml"), level=level)
    return {(f.control, f.pointer) for f in result.findings
            if f.status == "fail" and f.control in PATH_CONTROLS}


def run(name: str, spec: dict[str, Any], level: int = 3) -> list[tuple[str, str, str]]:
    return list(REGISTRY[name](spec, level))


def test_the_example_is_clean() -> None:
    assert not run("admin_paths_via_bastion", HYBRID.effective)
    assert not run("admin_terminals_not_servers", HYBRID.effective)


# Ports a reviewer would name as administrative; each must be in the data and caught.
NAMED = [("tcp", 22), ("tcp", 23), ("tcp", 2222), ("tcp", 3389), ("udp", 3389), ("tcp", 5985),
         ("tcp", 5986), ("tcp", 5900), ("tcp", 5905), ("tcp", 5910), ("tcp", 1433),
         ("tcp", 1521), ("tcp", 3306), ("tcp", 5432), ("tcp", 27017), ("tcp", 6379),
         ("udp", 623), ("tcp", 623), ("tcp", 6443), ("tcp", 10250), ("tcp", 2379),
         ("tcp", 445), ("tcp", 135), ("udp", 161), ("tcp", 513), ("tcp", 6000)]


@pytest.mark.parametrize(("protocol", "port"), NAMED)
def test_every_named_admin_port_from_office_into_core_fails(protocol: str, port: int) -> None:
    fired = with_flow(CORE, {"from": "office", "protocol": protocol, "ports": [port]})
    assert fired == {("SMC-CEN-02", f"/zones/{CORE}/ingress/3/from")}


@pytest.mark.parametrize(("protocol", "port"), NAMED)
def test_every_named_admin_port_from_the_bastion_zone_passes(protocol: str, port: int) -> None:
    assert with_flow(STORAGE, {"from": "mgmt", "protocol": protocol, "ports": [port]}) == set()


@pytest.mark.parametrize(("protocol", "port"), [("tcp", 443), ("tcp", 8443), ("tcp", 104),
                                                ("udp", 22), ("tcp", 5899), ("tcp", 5911),
                                                ("udp", 1433), ("tcp", 2221), ("tcp", 2223)])
def test_service_ports_next_to_admin_ports_pass(protocol: str, port: int) -> None:
    assert with_flow(CORE, {"from": "office", "protocol": protocol, "ports": [port]}) == set()


def test_a_second_management_zone_cannot_reach_core_directly() -> None:
    fired = with_flow(CORE, {"from": "cloud-mgmt", "ports": [22]})
    assert fired == {("SMC-CEN-02", f"/zones/{CORE}/ingress/3/from")}
    fired = with_flow(STORAGE, {"from": "cloud-mgmt", "ports": [5432]})
    assert fired == {("SMC-CEN-02", f"/zones/{STORAGE}/ingress/2/from")}


def test_a_management_zone_may_still_administer_a_non_core_zone() -> None:
    assert with_flow(EDGE, {"from": "cloud-mgmt", "ports": [22, 3389]}) == set()


def test_non_management_zone_into_edge_fails_for_any_admin_port() -> None:
    fired = with_flow(EDGE, {"from": "office", "ports": [23]})
    assert fired == {("SMC-CEN-02", f"/zones/{EDGE}/ingress/1/from")}


def test_bastion_zone_takes_only_ssh_22_from_the_terminals() -> None:
    assert with_flow(MGMT, {"from": "office", "ports": [443]}) == set()
    fired = with_flow(MGMT, {"from": "office", "ports": [3389]})
    assert fired == {("SMC-CEN-02", f"/zones/{MGMT}/ingress/1/from")}


def test_level_2_does_not_ask_for_the_path() -> None:
    assert with_flow(CORE, {"from": "office", "ports": [3389]}, level=2) == set()


def test_message_names_the_service_and_what_to_do() -> None:
    spec = copy.deepcopy(dict(HYBRID.effective))
    spec["zones"][CORE]["ingress"].append({"from": "office", "ports": [3389, 5432]})
    [(pointer, zh, en)] = run("admin_paths_via_bastion", spec)
    assert pointer == f"/zones/{CORE}/ingress/3/from"
    assert en == ("Zone core (core) opens administrative ports RDP (tcp 3389), "
                  "PostgreSQL/openGauss (tcp 5432) to office; administrative access to core and "
                  "storage zones comes only from the bastion's zone mgmt. Remove this flow and "
                  "administer through the bastion.")
    assert "堡垒机所在区域 mgmt" in zh and "删除该规则" in zh


@pytest.mark.parametrize(("ports", "hit"), [
    (["5890-5899"], []), (["5895-5900"], ["VNC"]), (["5910-5920"], ["VNC"]),
    (["1-1024"], ["SSH", "Telnet", "WMI/DCOM (RPC endpoint mapper)",
                  "SMB (administrative shares, PsExec)", "rexec/rlogin/rsh", "IPMI (RMCP)"]),
    (["3389"], ["RDP"]), (["6380-6370"], ["Redis"]), ([True], []), (["x-y"], []),
])
def test_port_ranges_overlapping_admin_ports(ports: list[Any], hit: list[str]) -> None:
    assert [a.name for a in admin_services({"ports": ports})] == hit


def test_admin_port_data_is_well_formed() -> None:
    for port in ADMIN_PORTS:
        assert port.protocol in ("tcp", "udp") and 1 <= port.first <= port.last <= 65535
        assert port.name.strip()
    assert len({(p.protocol, p.first, p.last) for p in ADMIN_PORTS}) == len(ADMIN_PORTS)


def test_self_flows_and_odd_shapes_do_not_crash_or_double_report() -> None:
    zones = [{"name": "core", "kind": "core", "ingress": [
        {"from": "core", "ports": [22]}, "junk", {"from": 7, "ports": [22]},
        {"from": "nowhere", "ports": "22"}, {"from": "nowhere", "ports": 22}]}]
    assert [p for p, _, _ in run("admin_paths_via_bastion", {"zones": zones})] == [
        "/zones/0/ingress/3/from", "/zones/0/ingress/4/from"]
    assert run("admin_paths_via_bastion", {"zones": "x", "bastion": []}) == []


# --- CES-IPS-03: administrator terminals are not servers ------------------------------------


@pytest.mark.parametrize(("sources", "fired"), [
    (["10.40.0.0/20"], []),
    (["10.40.0.0/20", "192.168.100.0/24"], []),
    (["10.40.0.0/20", "10.20.0.0/22"], ["/bastion/allowed_sources/1"]),
    (["10.20.3.0/24"], ["/bastion/allowed_sources/0"]),
    (["10.0.0.0/8"], ["/bastion/allowed_sources/0"]),
    (["172.16.10.128/25"], ["/bastion/allowed_sources/0"]),
    (["10.10.0.0/24"], []),  # the management zone itself
])
def test_terminal_networks_never_cover_server_zones(sources: list[str],
                                                    fired: list[str]) -> None:
    spec = {**HYBRID.effective, "bastion": {**HYBRID.effective["bastion"],
                                             "allowed_sources": sources}}
    assert [p for p, _, _ in run("admin_terminals_not_servers", spec, level=2)] == fired
