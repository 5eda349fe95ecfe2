"""Where a cloud zone's addresses lie across the availability zones (``mlps.availability``), and
the spec check built on it (``cloud_hosts_spread``) at its thresholds: a role's hosts in two
availability zones pass, all in one fail, in any order; a zone whose parts would be under a /29
is an input error at every level."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mlps.availability import fits, labelled, parts, placed
from mlps.checks import REGISTRY
from mlps.spec import integrity
from tests.unit.refusal import assert_refused

ROOT = Path(__file__).resolve().parents[2]

TWO = ["az-a", "az-b"]
THREE = ["az-a", "az-b", "az-c"]


def test_two_availability_zones_take_the_halves_three_the_quarters_in_turn() -> None:
    assert parts("10.0.0.0/24", TWO) == [("az-a", "10.0.0.0/25"), ("az-b", "10.0.0.128/25")]
    assert parts("10.0.0.0/24", THREE) == [
        ("az-a", "10.0.0.0/26"), ("az-b", "10.0.0.64/26"),
        ("az-c", "10.0.0.128/26"), ("az-a", "10.0.0.192/26")]


def test_one_or_no_availability_zone_keeps_the_whole_range() -> None:
    assert parts("10.0.0.0/24", ["az-a"]) == [("az-a", "10.0.0.0/24")]
    assert parts("10.0.0.0/24", []) == [("", "10.0.0.0/24")]


def test_a_host_is_in_the_availability_zone_of_its_half() -> None:
    assert placed("10.0.0.127", "10.0.0.0/24", TWO) == ("az-a", "10.0.0.0/25")
    assert placed("10.0.0.128", "10.0.0.0/24", TWO) == ("az-b", "10.0.0.128/25")
    assert placed("10.0.1.1", "10.0.0.0/24", TWO) is None


def test_parts_of_a_29_fit_smaller_do_not() -> None:
    assert fits("10.0.0.0/28", TWO)
    assert not fits("10.0.0.0/29", TWO)
    assert fits("10.0.0.0/27", THREE)
    assert not fits("10.0.0.0/28", THREE)
    with pytest.raises(ValueError, match="too small"):
        parts("10.0.0.0/29", TWO)


def spec(*addresses: str, azs: list[str] = TWO, layout: str = "cloud", role: str = "object_storage",
         cidr: str = "10.0.0.0/24") -> dict[str, Any]:
    return {
        "layout": layout,
        "cloud": {"availability_zones": azs},
        "zones": [{"name": "storage", "placement": "cloud", "cidr": cidr},
                  {"name": "office", "placement": "onprem", "cidr": "10.9.0.0/24"}],
        "hosts": [{"name": f"h{i}", "zone": "storage", "address": a, "roles": [role]}
                  for i, a in enumerate(addresses)],
    }


def pointers(s: dict[str, Any]) -> list[str]:
    return [p for p, _, _ in REGISTRY["cloud_hosts_spread"](s, 3)]


def test_two_availability_zones_among_a_roles_hosts_pass_whatever_their_order() -> None:
    assert pointers(spec("10.0.0.11", "10.0.0.140")) == []
    assert pointers(spec("10.0.0.11", "10.0.0.140", "10.0.0.12")) == []
    assert pointers(spec("10.0.0.11", "10.0.0.12", "10.0.0.140")) == []
    assert pointers(spec("10.0.0.11", "10.0.0.70", "10.0.0.200", azs=THREE)) == []
    assert pointers(spec("10.0.0.11", "10.0.0.12", "10.0.0.13")) == ["/hosts/1/address"]
    assert pointers(spec("10.0.0.11", "10.0.0.200", azs=THREE)) == ["/hosts/1/address"]  # the quarters a, a


def test_the_half_boundary_decides() -> None:
    assert pointers(spec("10.0.0.127", "10.0.0.128")) == []
    assert pointers(spec("10.0.0.126", "10.0.0.127")) == ["/hosts/1/address"]


def test_hybrid_is_judged_onprem_single_hosts_and_one_availability_zone_are_not() -> None:
    assert pointers(spec("10.0.0.11", "10.0.0.12", layout="hybrid")) == ["/hosts/1/address"]
    assert pointers(spec("10.0.0.11", "10.0.0.12", layout="onprem")) == []
    assert pointers(spec("10.0.0.11")) == []
    assert pointers(spec("10.0.0.11", "10.0.0.12", azs=["az-a"])) == []


def test_roles_every_host_runs_make_no_peers() -> None:
    assert pointers(spec("10.0.0.11", "10.0.0.12", role="baseline")) == []


def test_on_prem_zones_and_unreadable_addresses_are_left_to_other_checks() -> None:
    s = spec("10.0.0.11", "not-an-address")
    s["hosts"] += [{"name": f"o{i}", "zone": "office", "address": f"10.9.0.{i}", "roles": ["bastion"]}
                   for i in (1, 2)]
    assert pointers(s) == []


@pytest.mark.parametrize("level", [2, 3])
def test_a_zone_too_small_for_the_availability_zones_is_an_input_error_at_every_level(
    tmp_path: Path, level: int
) -> None:
    data = yaml.safe_load((ROOT / "Pulumi.cloud-dev.yaml").read_text(encoding="utf-8"))
    env = data["config"]["mlps:environment"]
    env["level"] = level
    dmz = next(i for i, z in enumerate(env["zones"]) if z["name"] == "dmz")
    env["zones"][dmz]["cidr"] = "172.20.32.0/29"
    assert_refused(data, tmp_path, f"/zones/{dmz}/cidr", "too small")
    env["zones"][dmz]["cidr"] = "172.20.32.0/28"
    assert integrity.availability_problems(env) == []


def test_parts_are_labelled_uniquely_whatever_the_number_of_availability_zones() -> None:
    assert [x[0] for x in labelled("10.0.0.0/24", ["az-a"])] == [""]
    assert [x[0] for x in labelled("10.0.0.0/24", TWO)] == ["az-a", "az-b"]
    assert [x[0] for x in labelled("10.0.0.0/24", THREE)] == ["az-a", "az-b", "az-c", "az-a-2"]


def test_a_roles_hosts_across_cloud_zones_are_peers_too() -> None:
    """Two audit servers in two cloud zones keep copies of one store: one availability zone
    failing must not take both."""
    s = spec("10.0.0.11")
    s["zones"].append({"name": "mgmt", "placement": "cloud", "cidr": "10.1.0.0/24"})
    s["hosts"].append({"name": "m1", "zone": "mgmt", "address": "10.1.0.11", "roles": ["object_storage"]})
    assert pointers(s) == ["/hosts/1/address"]
    found = list(REGISTRY["cloud_hosts_spread"](s, 3))
    assert "the 2 object_storage hosts of zones mgmt, storage all run in availability zone az-a" \
        in found[0][2]
    assert "10.1.0.128/25 (az-b)" in found[0][2]
    s["hosts"][1]["address"] = "10.1.0.200"
    assert pointers(s) == []
