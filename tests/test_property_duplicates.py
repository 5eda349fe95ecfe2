"""Any two hosts turned into one machine, by name or by address (in any spelling the schema
admits), make the validator refuse the spec."""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlps.errors import InputError
from mlps.spec import load_spec, spec_from_config
from mlps.validate import validate

ROOT = Path(__file__).resolve().parent.parent
BASES = {name: load_spec(ROOT / f"Pulumi.{name}.yaml").data
         for name in ("hybrid-prod", "onprem-lab", "cloud-dev", "private-cloud")}


@st.composite
def address_spelling(draw: st.DrawFn, address: str) -> str:
    """The same IPv4 address, each octet below 100 maybe written with a leading zero."""
    octets = []
    for octet in address.split("."):
        pad = int(octet) < 10 and draw(st.booleans())
        octets.append(f"0{octet}" if pad else octet)
    return ".".join(octets)


@st.composite
def duplicated(draw: st.DrawFn) -> tuple[dict, str]:
    base = draw(st.sampled_from(sorted(BASES)))
    data = copy.deepcopy(BASES[base])
    hosts = data["hosts"]
    i, j = draw(st.lists(st.integers(0, len(hosts) - 1), min_size=2, max_size=2, unique=True))
    field = draw(st.sampled_from(["name", "address", "both"]))
    if field in ("name", "both"):
        hosts[j]["name"] = hosts[i]["name"]
    if field in ("address", "both"):
        hosts[j]["address"] = draw(address_spelling(hosts[i]["address"]))
    return data, f"/hosts/{max(i, j)}/"  # the later entry is reported, naming the earlier


@settings(max_examples=60, deadline=None)
@given(duplicated())
def test_duplicate_hosts_are_refused(case: tuple[dict, str]) -> None:
    data, pointer = case
    try:
        spec = spec_from_config(data, "spec.yaml")
    except InputError:
        return  # refused as unusable input
    result = validate(spec)
    failing = [f for f in result.findings if f.status == "fail" and f.control == "CNS-ZONE-01"]
    assert any(f"{f.pointer}/".startswith(pointer) for f in failing), [f.pointer for f in failing]


NAMED_LISTS = ("zones", "workloads", "object_storage/buckets", "links", "admins")
"""The named lists refused as input when a name repeats (hosts: CNS-ZONE-01 above)."""


def _list(data: dict, where: str) -> list | None:
    node = data
    for part in where.split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, list) else None


@st.composite
def renamed(draw: st.DrawFn) -> tuple[dict, str, int, int]:
    """A base spec in which one entry of a named list takes an earlier entry's name, or an exact
    copy of an entry is appended."""
    base = draw(st.sampled_from(sorted(BASES)))
    data = copy.deepcopy(BASES[base])
    where = draw(st.sampled_from([w for w in NAMED_LISTS if _list(data, w)]))
    entries = _list(data, where)
    assert entries is not None
    i = draw(st.integers(0, len(entries) - 1))
    if len(entries) > 1 and draw(st.booleans()):
        j = draw(st.integers(0, len(entries) - 1).filter(lambda k: k != i))
        entries[j]["name"] = entries[i]["name"]
    else:
        entries.append(copy.deepcopy(entries[i]))
        j = len(entries) - 1
    return data, where, min(i, j), max(i, j)


@settings(max_examples=60, deadline=None)
@given(renamed())
def test_repeated_names_of_workloads_buckets_links_zones_admins_are_refused(
        case: tuple[dict, str, int, int]) -> None:
    data, where, first, later = case
    try:
        spec_from_config(data, "spec.yaml")
    except InputError as caught:
        lines = caught.lines()
    else:
        raise AssertionError(f"/{where}/{later}/name repeats /{where}/{first}/name, yet accepted")
    assert any(f"/{where}/{later}/name" in line and f"repeats /{where}/{first}/name" in line
               for line in lines), lines
