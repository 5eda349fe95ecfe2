"""Input rules beyond the schema's shape: hidden characters, host bits, dangling buckets, and
the schema's upper bounds (exit 2, one line naming the JSON pointer and what to do)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mlps.errors import InputError
from mlps.spec import load_spec, spec_from_config
from mlps.spec.integrity import (
    ADDRESS_PATHS,
    CIDR_PATHS,
    NAMED_LISTS,
    address_problems,
    cidr_problems,
    cloud_server_problems,
    duplicate_problems,
    number_problems,
    reference_problems,
    text_problems,
)
from mlps.spec.shape import check_shape

ROOT = Path(__file__).resolve().parents[2]
BASE = load_spec(ROOT / "Pulumi.hybrid-prod.yaml").data


def _spec(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(InputError) as caught:
        spec_from_config(data, "spec.yaml")
    return caught.value.line()


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f",
                                  *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)),
                                  "\u200e", "\u200f", "\u061c", "\u2028", "\u2029"])
def test_hidden_characters_refused_in_names(char: str) -> None:
    line = _error(_spec(lambda d: d["admins"][1].__setitem__("full_name", f"李{char}娜")))
    assert "/admins/1/full_name: text holds a" in line
    assert f"U+{ord(char):04X} at character 2" in line
    assert line.endswith("(retype the value if it was pasted)")
    assert char not in line


@pytest.mark.parametrize(("char", "what"), [
    ("\u200e", "bidi mark U+200E"), ("\u200f", "bidi mark U+200F"), ("\u061c", "bidi mark U+061C"),
    ("\u2028", "line separator U+2028"), ("\u2029", "paragraph separator U+2029")])
def test_bidi_marks_and_unicode_line_breaks_refused_even_in_descriptions(char: str, what: str) -> None:
    problems = text_problems({"zones": [{"description": f"HIS{char}EMR"}]})
    assert [(p.pointer, p.message) for p in problems] == [
        ("/zones/0/description", f"text holds a {what} at character 4")]


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
                                  "\u00a0", "é", "医"])
def test_other_characters_are_text(char: str) -> None:
    """Zero-width characters stay text: the name normaliser (fold) drops them when comparing."""
    assert text_problems({"hospital": {"name": f"医院{char}"}}) == []


def test_tab_and_newline_only_in_descriptions() -> None:
    assert text_problems({"zones": [{"description": "a\n\tb"}]}) == []
    problems = text_problems({"zones": [{"name": "a\nb"}], "hospital": {"name": "x\ty"}})
    assert [p.pointer for p in problems] == ["/zones/0/name", "/hospital/name"]


def test_hidden_character_in_a_key_is_named() -> None:
    problems = text_problems({"hospital": {"na\u202eme": "x"}})
    assert [p.pointer for p in problems] == ["/hospital/na\u202eme"]


SCHEMA = json.loads((ROOT / "schemas" / "environment.schema.json").read_text(encoding="utf-8"))


def _schema_paths(ref: str) -> set[tuple[str, ...]]:
    """Every path of the environment schema whose value is ``$ref: ref``."""
    found: set[tuple[str, ...]] = set()

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == ref:
                found.add(path)
            for key, value in node.items():
                if key == "properties":
                    for name, sub in value.items():
                        walk(sub, (*path, name))
                elif key == "items":
                    walk(value, (*path, "*"))
                elif key != "$defs":
                    walk(value, path)
    walk(SCHEMA, ())
    return found


def test_every_network_of_the_schema_is_checked_for_host_bits() -> None:
    assert _schema_paths("#/$defs/cidr") == set(CIDR_PATHS)


def test_every_address_of_the_schema_is_checked_for_its_spelling() -> None:
    assert _schema_paths("#/$defs/ipv4") == set(ADDRESS_PATHS)


def test_every_named_list_of_the_schema_refuses_repeats() -> None:
    """Each list of objects with a ``name`` is checked here, except hosts (CNS-ZONE-01 compares
    them by name and by address, log servers among them)."""
    found: set[tuple[str, ...]] = set()

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            items = node.get("items")
            if isinstance(items, dict) and "name" in items.get("properties", {}):
                found.add(path)
            for name, sub in node.get("properties", {}).items():
                walk(sub, (*path, name))
    walk(SCHEMA, ())
    assert found == {path for path, _ in NAMED_LISTS} | {("hosts",)}


@pytest.mark.parametrize(("pointer", "written", "canonical"), [
    ("/zones/1/cidr", "10.20.00.0/22", "10.20.0.0/22"),
    ("/zones/1/cidr", "10.20.0.00/22", "10.20.0.0/22"),
    ("/bastion/allowed_sources/0", "10.40.00.0/20", "10.40.0.0/20"),
    ("/link_failover/prefixes/0", "10.20.00.0/22", "10.20.0.0/22"),
    ("/hosts/11/address", "10.20.01.11", "10.20.1.11"),
    ("/hosts/7/address", "10.30.0.013", "10.30.0.13"),
    ("/hosts/0/address", "010.10.0.10", "10.10.0.10"),
    ("/zones/3/cidr", "10.40.0.0/020", "10.40.0.0/20"),
    ("/baseline/time_sync/servers/0", "10.10.00.1", "10.10.0.1"),
])
def test_leading_zeros_refused_with_the_canonical_form(pointer: str, written: str,
                                                       canonical: str) -> None:
    line = _error(_put(copy.deepcopy(BASE), pointer, written))
    assert f"{pointer}: " in line
    assert "leading zero" in line
    assert f"write {canonical}" in line


@pytest.mark.parametrize(("pointer", "value"), [
    ("/zones/1/cidr", "10.20.0.0/22"), ("/hosts/11/address", "10.20.1.11"),
    ("/hosts/11/address", "10.20.1.100"), ("/zones/5/cidr", "10.60.0.0/24"),
    ("/baseline/time_sync/servers/0", "10.10.0.1"),
    ("/baseline/time_sync/servers/0", "ntp.hospital.local"),
    ("/baseline/time_sync/servers/0", "fd00::1"),
])
def test_canonical_addresses_pass(pointer: str, value: str) -> None:
    data = _put(copy.deepcopy(BASE), pointer, value)
    assert cidr_problems(data) == [] and address_problems(data) == []


def test_boundary_one_leading_zero_octet() -> None:
    good = _put(copy.deepcopy(BASE), "/zones/5/cidr", "10.60.0.0/24")
    bad = _put(copy.deepcopy(BASE), "/zones/5/cidr", "10.60.00.0/24")
    assert cidr_problems(good) == []
    assert [(p.pointer, p.hint) for p in cidr_problems(bad)] == [
        ("/zones/5/cidr", "write 10.60.0.0/24")]


@pytest.mark.parametrize(("value", "message"), [
    ("10.10.0.1/24", "10.10.0.1/24 is a network, not a server"),
    ("10.10.0.256", "is not an IP address"),
    ("fd00:0::1", "fd00:0::1 is not an IP address in canonical form"),
])
def test_time_servers_written_as_addresses_must_be_one_canonical_address(value: str,
                                                                         message: str) -> None:
    problems = address_problems({"baseline": {"time_sync": {"servers": [value]}}})
    assert [p.pointer for p in problems] == ["/baseline/time_sync/servers/0"]
    assert message in problems[0].message


@pytest.mark.parametrize(("pointer", "value"), [
    ("/backup/retention_days", float("inf")), ("/log_audit/retention_days", float("-inf")),
    ("/links/0/bandwidth_mbps/up", float("nan")),
])
def test_non_finite_numbers_refused(pointer: str, value: float) -> None:
    data = _put(copy.deepcopy(BASE), pointer, value)
    assert [p.pointer for p in number_problems(data)] == [pointer]
    line = _error(data)
    assert f"{pointer}: {value} is not a finite number — write a plain number" in line


def _put(data: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """``data`` with the existing place ``pointer`` (through lists and mappings) set to ``value``."""
    *parents, last = pointer.strip("/").split("/")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return data


LISTS = {"/zones": "zone", "/workloads": "workload", "/object_storage/buckets": "bucket",
         "/links": "line", "/admins": "administrator account"}


def _at(data: dict[str, Any], pointer: str) -> Any:
    node: Any = data
    for part in pointer.strip("/").split("/"):
        node = node[part]
    return node


@pytest.mark.parametrize("pointer", sorted(LISTS))
def test_one_repeated_name_refused_naming_both_entries(pointer: str) -> None:
    assert duplicate_problems(BASE) == []
    data = copy.deepcopy(BASE)
    entries = _at(data, pointer)
    entries.append(copy.deepcopy(entries[0]))
    last = len(entries) - 1
    problems = duplicate_problems(data)
    assert [p.pointer for p in problems] == [f"{pointer}/{last}/name"]
    assert f"repeats {pointer}/0/name" in problems[0].message
    line = _error(data)
    assert f"{pointer}/{last}/name: {LISTS[pointer]} name '{entries[0]['name']}' repeats " \
           f"{pointer}/0/name — give each {LISTS[pointer]} its own name" in line


def test_names_compared_folded() -> None:
    names = ["his", "HIS\u200b", "\uff48\uff49\uff53", "emr"]  # fullwidth his third
    data = {"workloads": [{"name": n} for n in names]}
    assert [p.pointer for p in duplicate_problems(data)] == ["/workloads/1/name", "/workloads/2/name"]


@pytest.mark.parametrize(("written", "network"), [
    ("10.40.0.1/20", "10.40.0.0/20"), ("10.40.15.255/20", "10.40.0.0/20"),
    ("192.168.1.1/24", "192.168.1.0/24"), ("10.0.0.1/0", "0.0.0.0/0"),
])
def test_host_bits_name_the_network_to_use(written: str, network: str) -> None:
    line = _error(_spec(lambda d: d["zones"][3].__setitem__("cidr", written)))
    assert f"/zones/3/cidr: {written} has host bits set — write the network address {network}" in line


@pytest.mark.parametrize("network", ["10.40.0.0/20", "10.40.16.0/20", "10.10.0.5/32", "0.0.0.0/0"])
def test_network_addresses_pass(network: str) -> None:
    assert cidr_problems({"zones": [{"cidr": network}], "link_failover": {"prefixes": [network]}}) == []


def test_workload_bucket_must_exist() -> None:
    data = _spec(lambda d: d["workloads"][2].__setitem__("bucket", "pacs-image"))
    assert [p.pointer for p in reference_problems(data)] == ["/workloads/2/bucket"]
    line = _error(data)
    assert "/workloads/2/bucket: workload 'pacs' writes to bucket 'pacs-image'" in line
    assert "add a bucket named pacs-image under /object_storage/buckets" in line
    assert reference_problems(BASE) == []


def test_workload_without_object_storage_section() -> None:
    data = {"workloads": [{"name": "w", "bucket": "b"}]}
    assert [p.pointer for p in reference_problems(data)] == ["/workloads/0/bucket"]


BOUNDS = [
    ("/log_audit/retention_days", 36500), ("/bastion/recording_retention_days", 36500),
    ("/backup/retention_days", 36500), ("/object_storage/buckets/0/object_lock/retention_days", 36500),
    ("/links/0/bandwidth_mbps/up", 1_000_000), ("/links/0/bandwidth_mbps/down", 1_000_000),
    ("/backup/rpo_hours", 8760), ("/backup/rto_hours", 8760),
    ("/log_audit/queue_size", 100_000_000), ("/baseline/lockout/unlock_seconds", 86400),
    ("/record_keeping/inpatient_years", 100), ("/record_keeping/outpatient_years", 100),
    ("/links/0/daily_gb/up", 1_000_000), ("/backup/offsite/daily_gb", 1_000_000),
]


def _set(data: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    node: Any = data
    parts = pointer.strip("/").split("/")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[parts[-1]] = value
    return data


@pytest.mark.parametrize(("pointer", "bound"), BOUNDS)
def test_absurd_numbers_refused_at_their_bound(pointer: str, bound: int) -> None:
    assert not [p for p in check_shape(_set(copy.deepcopy(BASE), pointer, bound))
                if p.pointer == pointer]
    over = [p for p in check_shape(_set(copy.deepcopy(BASE), pointer, bound + 1))
            if p.pointer == pointer]
    assert [p.hint for p in over] == [f"use a value at most {bound}"]
    huge = [p for p in check_shape(_set(copy.deepcopy(BASE), pointer, 10**35)) if p.pointer == pointer]
    assert huge and "out of range" in huge[0].message


def _with_time_server(server: str, cloud_host: bool) -> dict[str, Any]:
    def change(data: dict[str, Any]) -> None:
        data["baseline"]["time_sync"]["servers"] = ["10.10.0.1", server]
        if not cloud_host:
            data["hosts"] = [h for h in data["hosts"] if h["zone"] != "cloud-mgmt"]
    return _spec(change)


def test_a_time_server_name_is_refused_when_a_host_sits_in_a_cloud_zone() -> None:
    line = _error(_with_time_server("ntp.hospital.local", cloud_host=True))
    assert "/baseline/time_sync/servers/1" in line
    assert "ntp.hospital.local is a host name" in line and "cloud zone 'cloud-mgmt'" in line
    assert "write the NTP server's IPv4 address (CES-AUDIT-02)" in line
    line = _error(_with_time_server("fd00::123", cloud_host=True))
    assert "/baseline/time_sync/servers/1" in line and "fd00::123 is an IPv6 address" in line


@pytest.mark.parametrize(("server", "cloud_host"), [
    # no cloud boundary to admit them: the host's chrony resolves the name, and IPv6 is routed
    ("ntp.hospital.local", False), ("fd00::123", False),
    ("10.10.0.2", True),
])
def test_a_time_server_a_boundary_can_admit_passes(server: str, cloud_host: bool) -> None:
    assert cloud_server_problems(_with_time_server(server, cloud_host)) == []
    spec_from_config(_with_time_server(server, cloud_host), "spec.yaml")
