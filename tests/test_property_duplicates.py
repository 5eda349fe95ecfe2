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
