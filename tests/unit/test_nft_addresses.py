"""Addresses in verify's firewall reading are compared as networks, as nft prints them, not as
text: a spec that writes an address another way is no missing or unexpected source."""

from __future__ import annotations

import pytest

from tests.unit.baseline_module import load_utils

NFT = load_utils("nft_admission")


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


def test_a_different_network_is_both() -> None:
    assert NFT.missing(["10.5.0.0/25"], ["10.5.0.0/24"]) == ["10.5.0.0/24"]
    assert NFT.unexpected(["10.5.0.0/25"], ["10.5.0.0/24"]) == ["10.5.0.0/25"]


def test_outside_reads_prefixes_and_ranges_as_networks() -> None:
    assert NFT.outside(["10.5.0.2", "10.5.0.0/31", "10.5.0.2-10.5.0.3"], ["10.5.0.0/30"]) == []
    assert NFT.outside(["10.5.0.2-10.5.0.4", "not-an-address"], ["10.5.0.0/30"]) == [
        "10.5.0.2-10.5.0.4", "not-an-address"]


@pytest.mark.parametrize(("addresses", "wide"), [
    (["0.0.0.0/1"], True),                                        # exactly half
    (["0.0.0.0/2", "64.0.0.0/3", "96.0.0.0/3"], True),            # half, in pieces
    (["0.0.0.0/2", "64.0.0.0/3"], False),                         # three eighths
    (["0.0.0.0-10.20.2.0", "10.20.2.2-255.255.255.255"], True),  # all but one
    (["::/1"], True), (["2001:db8::/32"], False), (["name"], True),
])
def test_half_the_address_space_or_more_names_no_destination(addresses: list[str], wide: bool) -> None:
    assert NFT._too_wide(addresses) is wide
