"""Two host entries that are one machine (by folded name or canonical address) are refused:
CNS-ZONE-01 for every host, CES-BAK-04 when storage copies collapse onto fewer machines."""

from __future__ import annotations

from typing import Any

import pytest

from mlps.checks import REGISTRY


def _hosts(*hosts: tuple[str, str, list[str]]) -> dict[str, Any]:
    return {"hosts": [{"name": n, "address": a, "roles": r} for n, a, r in hosts],
            "object_storage": {"buckets": [{"name": "pacs-images"}]}}


def _distinct(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    return list(REGISTRY["hosts_distinct"](spec, 3))


def test_distinct_hosts_pass() -> None:
    assert _distinct(_hosts(("a-1", "10.0.0.1", []), ("a-2", "10.0.0.2", []))) == []


@pytest.mark.parametrize(("second", "pointer", "first"), [
    (("a-1", "10.0.0.2"), "/hosts/1/name", "/hosts/0/name"),
    (("A-1\u200b", "10.0.0.2"), "/hosts/1/name", "/hosts/0/name"),
    (("a-2", "10.0.0.1"), "/hosts/1/address", "/hosts/0/address"),
    (("a-2", "10.0.00.001"), "/hosts/1/address", "/hosts/0/address"),
    (("a-2", " 10.0.0.1\u200b"), "/hosts/1/address", "/hosts/0/address"),
])
def test_repeated_host_names_both_places(second: tuple[str, str], pointer: str, first: str) -> None:
    problems = _distinct(_hosts(("a-1", "10.0.0.1", []), (*second, [])))
    assert [p[0] for p in problems] == [pointer]
    assert f"({pointer}) is the same as {first}" in problems[0][2]
    assert "remove the repeated entry" in problems[0][2]
    assert first in problems[0][1]


def test_name_and_address_both_repeated_give_two_problems() -> None:
    problems = _distinct(_hosts(("a-1", "10.0.0.1", []), ("a-1", "10.0.0.1", [])))
    assert [p[0] for p in problems] == ["/hosts/1/name", "/hosts/1/address"]


def _storage(*entries: tuple[str, str]) -> list[tuple[str, str, str]]:
    spec = _hosts(*[(n, a, ["object_storage"]) for n, a in entries])
    return list(REGISTRY["storage_hosts_distinct"](spec, 3))


def test_three_distinct_storage_hosts_pass() -> None:
    assert _storage(("s3-1", "10.30.0.11"), ("s3-2", "10.30.0.12"), ("s3-3", "10.30.0.13")) == []


@pytest.mark.parametrize("third", [("s3-3", "10.30.0.11"), ("s3-1", "10.30.0.13"),
                                   ("s3-3", "10.30.00.11"), ("S3-1", "10.30.0.99")])
def test_three_entries_on_two_machines_fail(third: tuple[str, str]) -> None:
    problems = _storage(("s3-1", "10.30.0.11"), ("s3-2", "10.30.0.12"), third)
    assert [p[0] for p in problems] == ["/hosts/2"]
    assert "same machine and adds no copy" in problems[0][2]
    assert "only 2 distinct host(s)" in problems[0][2]
    assert "/hosts/0" in problems[0][2]


def test_four_entries_on_three_machines_pass() -> None:
    assert _storage(("s3-1", "10.30.0.11"), ("s3-2", "10.30.0.12"), ("s3-3", "10.30.0.13"),
                    ("s3-4", "10.30.0.11")) == []


def test_chained_repeats_count_one_machine() -> None:
    problems = _storage(("s3-1", "10.30.0.11"), ("s3-2", "10.30.0.11"), ("s3-2", "10.30.0.12"),
                        ("s3-4", "10.30.0.14"))
    assert [p[0] for p in problems] == ["/hosts/1", "/hosts/2"]


def test_storage_rule_applies_only_to_self_hosted_backends_with_buckets() -> None:
    entries = [("s3-1", "10.0.0.1", ["object_storage"])] * 3
    managed = _hosts(*entries)
    managed["object_storage"]["backend"] = "alicloud-oss"
    assert list(REGISTRY["storage_hosts_distinct"](managed, 3)) == []
    empty = _hosts(*entries)
    empty["object_storage"]["buckets"] = []
    assert list(REGISTRY["storage_hosts_distinct"](empty, 3)) == []
