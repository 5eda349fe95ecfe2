"""Addresses in verify's firewall reading are compared as networks, not as text: a spec that
writes an address another way, or a set that merged it into a wider element, is no missing or
unexpected source; a wider admitted network is unexpected."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.baseline_module import ROOT, load_path, load_utils

NFT = load_utils("nft_ruleset")
load_utils("level_floors")
EGRESS = load_utils("nft_egress")
ADMISSION = load_utils("nft_admission")


@pytest.mark.parametrize(("admitted", "wanted"), [
    (["2001:db8::a"], ["2001:DB8::A"]),
    (["10.5.0.0/24"], ["10.5.0.9/24"]),
    (["10.5.0.200"], ["10.5.0.200/32"]),
    (["fd00:10:244::/56"], ["fd00:10:244:0::/56"]),
])
def test_the_same_network_written_another_way_is_neither_missing_nor_unexpected(
        admitted: list[str], wanted: list[str]) -> None:
    assert NFT.missing(admitted, wanted) == []
    assert NFT.unexpected(admitted, wanted) == []


def test_a_narrower_admission_misses_and_a_wider_one_is_unexpected() -> None:
    assert NFT.missing(["10.5.0.0/25"], ["10.5.0.0/24"]) == ["10.5.0.0/24"]
    assert NFT.unexpected(["10.5.0.0/25"], ["10.5.0.0/24"]) == []
    assert NFT.unexpected(["10.5.0.0/23"], ["10.5.0.0/24"]) == ["10.5.0.0/23"]
    assert NFT.missing(["10.5.0.0/23"], ["10.5.0.5"]) == []


def test_outside_reads_prefixes_and_ranges_as_networks() -> None:
    assert NFT.outside(["10.5.0.2", "10.5.0.0/31", "10.5.0.2-10.5.0.3"], ["10.5.0.0/30"]) == []
    # Three allowed hosts that the set merged into one interval.
    assert NFT.outside(["10.99.0.2-10.99.0.4"], ["10.99.0.2", "10.99.0.3", "10.99.0.4"]) == []
    assert NFT.outside(["10.99.0.2-10.99.0.5"], ["10.99.0.2", "10.99.0.3", "10.99.0.4"]) == [
        "10.99.0.2-10.99.0.5"]
    assert NFT.outside(["10.5.0.2-10.5.0.4", "not-an-address"], ["10.5.0.0/30"]) == [
        "10.5.0.2-10.5.0.4", "not-an-address"]


@pytest.mark.parametrize(("addresses", "wide"), [
    (["0.0.0.0/1"], True),                                        # exactly half
    (["0.0.0.0/2", "64.0.0.0/3", "96.0.0.0/3"], True),            # half, in pieces
    (["0.0.0.0/2", "64.0.0.0/3"], False),                         # three eighths
    (["0.0.0.0-10.20.2.0", "10.20.2.2-255.255.255.255"], True),  # all but one
    (["::/1"], True), (["2001:db8::/32"], False), (["name"], True),
    # NAT64 (RFC 6052): the well-known prefix reaches every IPv4 address through a translator
    (["64:ff9b::/96"], True), (["64:ff9b::/97"], True), (["64:ff9b::/98"], False),
    (["64:ff9b::a00:1/128"], False), (["64:ff9b::/64"], True), (["64:ff9b::/97", "128.0.0.0/1"], True),
])
def test_half_the_address_space_or_more_names_no_destination(addresses: list[str], wide: bool) -> None:
    assert EGRESS._too_wide(addresses) is wide


SET = """table inet mlps_filter {{
\tset mgmt_ssh_v4 {{
\t\ttype ipv4_addr
\t\tflags interval
\t\tauto-merge
\t\telements = {{ {elements} }}
\t}}
}}
"""


@pytest.mark.parametrize(("elements", "allowed", "missing"), [
    ("10.0.0.0/24", ["10.0.0.5"], []),                             # merged into the network
    ("10.0.0.4-10.0.0.9", ["10.0.0.5/32", "10.0.0.9"], []),       # merged into a range
    ("10.0.0.5", ["10.0.0.0/24"], ["10.0.0.0/24"]),                 # a host is not the network
    ("10.0.0.0/24, 10.0.2.0/24", ["10.0.1.1"], ["10.0.1.1"]),
    ("10.0.0.0/25, 10.0.0.128/25", ["10.0.0.0/24"], []),          # two halves make the whole
])
def test_the_bastion_finds_its_networks_inside_merged_set_elements(
        monkeypatch: pytest.MonkeyPatch, elements: str, allowed: list[str], missing: list[str]) -> None:
    bastion = load_path(ROOT / "roles" / "bastion" / "library" / "bastion_probe.py", "bastion_probe")
    monkeypatch.setattr(bastion, "run", lambda argv: (0, SET.format(elements=elements)))
    [found] = bastion.check_firewall({"allowed_sources": allowed})
    assert found["control"] == "CES-IPS-03"
    assert found["status"] == ("fail" if missing else "pass")
    assert found.get("detail", "") == (f"missing {missing}" if missing else "")


def test_the_bastion_fails_when_its_set_cannot_be_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    bastion = load_path(ROOT / "roles" / "bastion" / "library" / "bastion_probe.py", "bastion_probe")
    monkeypatch.setattr(bastion, "run", lambda argv: (1, "Error: No such file or directory"))
    [found] = bastion.check_firewall({"allowed_sources": ["10.0.0.5"]})
    assert found["status"] == "fail"


def _fanned(depth: int, fan: int, hook: str) -> dict[str, Any]:
    """An ``nft -j`` listing whose base chain jumps ``fan`` times into a chain that jumps ``fan``
    times into the next, ``depth`` deep: fan ** depth paths to read."""
    items: list[dict[str, Any]] = [{"chain": {"name": "base", "hook": hook, "policy": "drop"}}]
    items += [{"chain": {"name": f"c{i}"}} for i in range(depth)]
    for i, name in enumerate(["base"] + [f"c{i}" for i in range(depth - 1)]):
        items += [{"rule": {"chain": name, "handle": i * fan + j, "expr": [{"jump": {"target": f"c{i}"}}]}}
                  for j in range(fan)]
    return {"nftables": items}


@pytest.mark.parametrize("hook", ["input", "output"])
def test_a_listing_with_more_paths_than_verify_reads_counts_as_open(hook: str) -> None:
    """Ten jumps each, eight deep: 10^8 paths. The walk stops at its budget and reports the rest
    open instead of running for hours."""
    ruleset = _fanned(8, 10, hook)
    found = ADMISSION.admission(ruleset, 22)[1] if hook == "input" else EGRESS.unrestricted(ruleset, hook)
    assert any("rules on the paths to read" in f for f in found)
