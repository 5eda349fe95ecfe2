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
from mlps.spec.integrity import CIDR_PATHS, cidr_problems, reference_problems, text_problems
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
                                  *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))])
def test_hidden_characters_refused_in_names(char: str) -> None:
    line = _error(_spec(lambda d: d["admins"][1].__setitem__("full_name", f"李{char}娜")))
    assert "/admins/1/full_name: text holds a" in line
    assert f"U+{ord(char):04X} at character 2" in line
    assert line.endswith("(retype the value if it was pasted)")
    assert char not in line


@pytest.mark.parametrize("char", ["\u200e", "\u200f", "\u061c", "\u00a0", "é", "医"])
def test_other_characters_are_text(char: str) -> None:
    assert text_problems({"hospital": {"name": f"医院{char}"}}) == []


def test_tab_and_newline_only_in_descriptions() -> None:
    assert text_problems({"zones": [{"description": "a\n\tb"}]}) == []
    problems = text_problems({"zones": [{"name": "a\nb"}], "hospital": {"name": "x\ty"}})
    assert [p.pointer for p in problems] == ["/zones/0/name", "/hospital/name"]


def test_hidden_character_in_a_key_is_named() -> None:
    problems = text_problems({"hospital": {"na\u202eme": "x"}})
    assert [p.pointer for p in problems] == ["/hospital/na\u202eme"]


def test_every_network_of_the_schema_is_checked_for_host_bits() -> None:
    schema = json.loads((ROOT / "schemas" / "environment.schema.json").read_text(encoding="utf-8"))
    found: set[tuple[str, ...]] = set()

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == "#/$defs/cidr":
                found.add(path)
            for key, value in node.items():
                if key == "properties":
                    for name, sub in value.items():
                        walk(sub, (*path, name))
                elif key == "items":
                    walk(value, (*path, "*"))
                elif key != "$defs":
                    walk(value, path)
    walk(schema, ())
    assert found == set(CIDR_PATHS)


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
