"""The named cross-field checks of mlps/checks: wiring to the catalog, edge cases, robustness."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mlps.checks import REGISTRY
from mlps.checks.secrets import SECRET_PATHS
from mlps.resources import load_schema

PROJECT_CHECKS = {n for n, fn in REGISTRY.items() if fn.__module__.startswith("mlps.checks.")}


def run(name: str, spec: dict[str, Any], level: int = 3) -> list[tuple[str, str, str]]:
    return list(REGISTRY[name](spec, level))


def _secret_paths(node: Any, path: tuple[str, ...]) -> set[tuple[str, ...]]:
    if not isinstance(node, dict):
        return set()
    if node.get("$ref") == "#/$defs/secret":
        return {path}
    found: set[tuple[str, ...]] = set()
    for key, sub in (node.get("properties") or {}).items():
        found |= _secret_paths(sub, (*path, key))
    if "items" in node:
        found |= _secret_paths(node["items"], (*path, "*"))
    return found


def test_secret_paths_cover_every_secret_field_of_the_environment_schema() -> None:
    assert _secret_paths(load_schema("environment"), ()) == set(SECRET_PATHS)


def test_plaintext_secret_reported_secure_and_generated_accepted() -> None:
    spec = {
        "links": [{"bgp": {"password": {"secure": "AAAB"}}}, {"bgp": {"password": "p"}}],
        "object_storage": {"encryption_key": {"generated": True}},
    }
    assert [p for p, _, _ in run("no_plaintext_secrets", spec)] == ["/links/1/bgp/password"]


def test_carriers_compared_without_case_or_surrounding_spaces() -> None:
    lines = [{"carrier": "China Telecom", "role": "primary"},
             {"carrier": " china telecom ", "role": "backup"}]
    assert run("links_distinct_carriers", {"layout": "hybrid", "links": lines})
    assert not run("links_distinct_carriers", {"layout": "onprem", "links": lines})


def test_ssh_into_bastion_zone_from_a_subnet_of_allowed_sources_passes() -> None:
    spec: dict[str, Any] = {
        "zones": [
            {"name": "mgmt", "kind": "management", "cidr": "10.10.0.0/24",
             "ingress": [{"from": "admins", "ports": [22]}]},
            {"name": "admins", "kind": "office", "cidr": "10.40.1.0/24"},
        ],
        "bastion": {"zone": "mgmt", "allowed_sources": ["10.40.0.0/16"]},
    }
    assert not run("ssh_only_from_management", spec)
    spec["bastion"]["allowed_sources"] = ["10.41.0.0/16"]
    assert [p for p, _, _ in run("ssh_only_from_management", spec)] == ["/zones/0/ingress/0/from"]


def test_duplicate_flows_need_same_protocol_and_a_shared_port() -> None:
    def zone(*flows: dict[str, Any]) -> dict[str, Any]:
        return {"zones": [{"name": "core", "ingress": list(flows)}]}

    a = {"from": "office", "ports": [443, 8443]}
    assert run("flows_minimal", zone(a, {"from": "office", "ports": [8443]}))
    assert not run("flows_minimal", zone(a, {"from": "office", "ports": [8080]}))
    assert not run("flows_minimal", zone(a, {"from": "office", "protocol": "udp", "ports": [443]}))


def test_backup_line_compared_with_the_widest_primary() -> None:
    def lines(backup_up: int) -> dict[str, Any]:
        return {"links": [
            {"name": "a", "role": "primary", "bandwidth_mbps": {"up": 100, "down": 100}},
            {"name": "b", "role": "primary", "bandwidth_mbps": {"up": 400, "down": 100}},
            {"name": "c", "role": "backup", "bandwidth_mbps": {"up": backup_up, "down": 100}},
        ]}

    assert [p for p, _, _ in run("backup_line_bandwidth", lines(150))] == [
        "/links/2/bandwidth_mbps/up"]
    assert not run("backup_line_bandwidth", lines(200))


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(
        ["10.0.0.0/8", "10.0.0.300/24", "x", "internet", "hybrid", "management", "core", "cloud",
         "primary", "backup", "log_audit_server", "bastion", "mgmt", "01.2.3.4"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "kind", "cidr", "zone", "address", "roles", "ingress", "from",
                         "ports", "protocol", "carrier", "role", "bandwidth_mbps", "up", "down",
                         "bfd", "enabled", "interval_ms", "multiplier", "bgp", "password",
                         "allowed_sources", "full_name", "ssh_public_key", "data_class",
                         "placement", "buckets", "encryption_key"]),
        inner, max_size=5),
    max_leaves=25,
)
specs = st.dictionaries(
    st.sampled_from(["layout", "zones", "hosts", "links", "admins", "bastion", "workloads",
                     "object_storage"]),
    values, max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(spec=specs, level=st.sampled_from([2, 3, 4]))
def test_checks_never_crash_and_yield_pointer_and_two_messages(spec: dict[str, Any],
                                                               level: int) -> None:
    for name in sorted(PROJECT_CHECKS):
        for pointer, zh, en in REGISTRY[name](spec, level):
            assert pointer.startswith("/") and zh and en, name
