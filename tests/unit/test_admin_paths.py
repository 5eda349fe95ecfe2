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
def test_service_ports_next_to_admin_ports_are_not_administrative(protocol: str,
                                                                  port: int) -> None:
    assert admin_services({"protocol": protocol, "ports": [port]}) == []


# Ports the audit found open from the office into core (issue 14, class 5); each is a
# well-known administrative service now in the table.
AUDIT_NAMED = [("tcp", 2022), ("tcp", 10022), ("tcp", 22222), ("tcp", 3390), ("tcp", 13389),
               ("tcp", 1522), ("tcp", 2483), ("tcp", 2484), ("tcp", 5500), ("tcp", 1158),
               ("tcp", 33060), ("tcp", 50000), ("tcp", 139), ("tcp", 7001), ("tcp", 8006),
               ("tcp", 5938), ("tcp", 5800), ("tcp", 10255), ("tcp", 15672), ("tcp", 4848),
               ("tcp", 9990)]


@pytest.mark.parametrize(("protocol", "port"), AUDIT_NAMED)
def test_the_audits_admin_ports_are_named_and_fail_from_office(protocol: str, port: int) -> None:
    assert admin_services({"protocol": protocol, "ports": [port]}), port
    fired = with_flow(CORE, {"from": "office", "protocol": protocol, "ports": [port]})
    assert fired == {("SMC-CEN-02", f"/zones/{CORE}/ingress/3/from")}


# --- the class: into core and storage only ports a workload there serves ---------------------


@pytest.mark.parametrize(("protocol", "port", "fails"), [
    ("tcp", 443, False),   # his/emr/pacs Service port (tls)
    ("tcp", 444, True),
    ("tcp", 8443, False),  # his and emr declare 8443
    ("tcp", 8444, True),
    ("tcp", 8442, True),
    ("tcp", 8042, False),  # pacs declares 8042
    ("tcp", 8043, True),
    ("tcp", 8080, True),   # the default port, but every core workload declares its own
    ("tcp", 104, True), ("tcp", 5899, True), ("tcp", 2223, True), ("tcp", 8000, True),
    ("udp", 443, False),   # HTTP/3 to a TLS workload's Service
    ("udp", 8443, True),   # otherwise workloads serve TCP
    ("udp", 22, True), ("udp", 1433, True),
])
def test_into_core_only_ports_a_workload_there_serves(protocol: str, port: int,
                                                       fails: bool) -> None:
    fired = with_flow(CORE, {"from": "office", "protocol": protocol, "ports": [port]})
    assert fired == ({("SMC-CEN-02", f"/zones/{CORE}/ingress/3/from")} if fails else set())


@pytest.mark.parametrize(("port", "fails"), [(8333, False), (8334, True), (8332, True),
                                             (9333, True), (8888, True), (443, True)])
def test_into_storage_only_the_object_stores_s3_port(port: int, fails: bool) -> None:
    """The storage zone holds object_storage hosts (S3 on 8333) and no workload, so only 8333
    is served; the cluster-internal master, volume and filer ports are not."""
    fired = with_flow(STORAGE, {"from": "core", "ports": [port]})
    assert fired == ({("SMC-CEN-02", f"/zones/{STORAGE}/ingress/2/from")} if fails else set())


def test_declaring_the_workload_makes_its_port_pass_and_the_next_one_fail() -> None:
    def add_dicom(data: dict[str, Any]) -> None:
        data["workloads"].append({"name": "dicom-gw", "kind": "pacs", "data_class": "core",
                                  "placement": "onprem", "zone": "core", "port": 11112,
                                  "image": "registry.hospital.local/dicom/gw:1.0"})
    assert with_flow(CORE, {"from": "office", "ports": [11112]}, change=add_dicom) == set()
    assert with_flow(CORE, {"from": "office", "ports": [11113]}, change=add_dicom) == {
        ("SMC-CEN-02", f"/zones/{CORE}/ingress/3/from")}
    assert with_flow(CORE, {"from": "office", "ports": [11112]}) == {
        ("SMC-CEN-02", f"/zones/{CORE}/ingress/3/from")}


def test_a_workload_without_tls_serves_80_not_443() -> None:
    def plain(data: dict[str, Any]) -> None:
        data["workloads"].append({"name": "viewer", "kind": "other", "data_class": "public",
                                  "placement": "onprem", "zone": "storage", "port": 9000,
                                  "tls": False, "image": "registry.hospital.local/v:1"})
    for port, fails in ((80, False), (9000, False), (443, True), (81, True)):
        fired = with_flow(STORAGE, {"from": "office", "ports": [port]}, change=plain)
        assert bool(fired) is fails, port


def test_the_bastion_zone_and_the_zone_itself_are_not_limited_to_served_ports() -> None:
    assert with_flow(CORE, {"from": "mgmt", "ports": [8000]}) == set()
    assert with_flow(STORAGE, {"from": "mgmt", "ports": [9333]}) == set()


def test_other_zones_are_not_limited_to_served_ports() -> None:
    assert with_flow(EDGE, {"from": "cloud-mgmt", "ports": [8000]}) == set()


def test_undeclared_message_says_route_through_the_bastion_or_declare_the_workload() -> None:
    spec = copy.deepcopy(dict(HYBRID.effective))
    spec["zones"][CORE]["ingress"].append({"from": "office", "ports": [443, 8000, "9000-9001"]})
    [(pointer, zh, en)] = run("admin_paths_via_bastion", spec)
    assert pointer == f"/zones/{CORE}/ingress/3/from"
    assert en.startswith("Zone core (core) opens tcp 8000, 9000-9001 to office, but no workload")
    assert "Route administration through the bastion (zone mgmt)" in en
    assert "declare the workload that serves the port" in en
    assert "改经堡垒机" in zh and "workloads 中声明" in zh


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
                  "NetBIOS session (SMB over NetBIOS)", "SMB (administrative shares, PsExec)",
                  "rexec/rlogin/rsh", "IPMI (RMCP)", "NETCONF over SSH (routers, switches)"]),
    (["830"], ["NETCONF over SSH (routers, switches)"]), (["829"], []), (["831"], []),
    (["3389"], ["RDP"]), (["6380-6370"], ["Redis"]), ([True], []), (["x-y"], []), (["²"], []),
    (["²²-²³"], []),
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
