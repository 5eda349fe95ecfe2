"""Cloud zones across availability zones (CES-BAK-03) under the mock runtime: each zone's range
cut into one vSwitch per availability zone, instances in the availability zone of their address,
node pools and pod vSwitches in every one, the transit router in the spec's first two; the plan
the same spec would build with its second log audit server beside the first, or with one
availability zone, is a plan finding at level 3."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from synthfix import modified, of_type

from mlps.controls import catalog
from mlps.synth.checks import run_policies
from mlps.synth.run import SynthResult, spec_plan_graph, synthesize_spec
from stacks.program import SpecViolation
from tests.stacks.synthfix import ROOT

SWITCH = "alicloud:vpc/switch:Switch"
ECS = "alicloud:ecs/instance:Instance"
POOL = "alicloud:cs/nodePool:NodePool"
CLUSTER = "alicloud:cs/managedKubernetes:ManagedKubernetes"
OS_VM = "openstack:compute/instance:Instance"


def _switches(result: SynthResult) -> dict[str, tuple[str, str]]:
    return {s["name"]: (s["cidrBlock"], s["zoneId"]) for s in of_type(result, SWITCH)}


def _spread_findings(result: SynthResult) -> list[str]:
    """The messages of the CES-BAK-03 plan findings, after the control's title."""
    return sorted(f.message_en.split("(availability_zones_spread): ", 1)[1]
                  for f in result.findings if f.control == "CES-BAK-03")


def test_each_zone_has_a_vswitch_per_availability_zone_and_each_host_sits_in_its_half(
    synthesized: dict[str, SynthResult],
) -> None:
    dev = synthesized["cloud-dev"]
    switches = _switches(dev)
    assert switches["cloud-dev-vsw-mgmt-cn-shanghai-l"] == ("172.20.0.0/25", "cn-shanghai-l")
    assert switches["cloud-dev-vsw-mgmt-cn-shanghai-m"] == ("172.20.0.128/25", "cn-shanghai-m")
    assert switches["cloud-dev-vsw-app-cn-shanghai-m"] == ("172.20.24.0/21", "cn-shanghai-m")
    assert {n for n in switches if n.startswith("cloud-dev-vsw-pods")} == {
        "cloud-dev-vsw-pods-cn-shanghai-l", "cloud-dev-vsw-pods-cn-shanghai-m"}
    placed = {i["hostName"]: (i["availabilityZone"], i["vswitchId"]) for i in of_type(dev, ECS)}
    assert placed == {
        "bastion-1": ("cn-shanghai-l", "cloud-dev-vsw-mgmt-cn-shanghai-l-id"),
        "logaudit-1": ("cn-shanghai-l", "cloud-dev-vsw-mgmt-cn-shanghai-l-id"),
        "logaudit-2": ("cn-shanghai-m", "cloud-dev-vsw-mgmt-cn-shanghai-m-id"),
    }
    pools = {p["name"]: (p["vswitchIds"], p["multiAzPolicy"]) for p in of_type(dev, POOL)}
    assert pools["cloud-dev-ack-nodes-app"] == (
        ["cloud-dev-vsw-app-cn-shanghai-l-id", "cloud-dev-vsw-app-cn-shanghai-m-id"], "BALANCE")
    (cluster,) = of_type(dev, CLUSTER)
    assert len(cluster["vswitchIds"]) == 4 and len(cluster["podVswitchIds"]) == 2
    assert _spread_findings(dev) == []


def test_the_transit_router_takes_the_spec_first_two_availability_zones(
    synthesized: dict[str, SynthResult],
) -> None:
    transit = {n: z for n, (_, z) in _switches(synthesized["hybrid-prod"]).items() if "transit" in n}
    assert transit == {"hybrid-prod-vsw-transit-1": "cn-hangzhou-h",
                       "hybrid-prod-vsw-transit-2": "cn-hangzhou-i"}


def test_openstack_instances_are_placed_in_the_availability_zone_of_their_address(
    synthesized: dict[str, SynthResult],
) -> None:
    placed = {i["name"]: i["availabilityZone"] for i in of_type(synthesized["private-cloud"], OS_VM)}
    assert placed["logaudit-1"] == "dc1-az1" and placed["logaudit-2"] == "dc1-az2"
    assert sorted(placed[f"s3-{n}"] for n in (1, 2, 3)) == ["dc1-az1", "dc1-az1", "dc1-az2"]
    assert _spread_findings(synthesized["private-cloud"]) == []


def _synth(stack: str, change: Any) -> SynthResult:
    """The plan of the example after ``change``: the level-3 spec is refused before anything is
    built, so the plan is the one the same spec at level 2 builds, judged at level 3."""
    with pytest.raises(SpecViolation, match="CES-BAK-03"):
        synthesize_spec(modified(stack, change), ROOT, stack)

    def at_level_2(data: dict[str, Any]) -> None:
        change(data)
        data["level"] = 2

    result = synthesize_spec(modified(stack, at_level_2), ROOT, stack)
    check = run_policies(spec_plan_graph(result.registrations, result.spec, 3), catalog())
    return dataclasses.replace(result, findings=check.findings)


def _host(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in data["hosts"] if h["name"] == name)


def test_a_second_log_server_beside_the_first_is_a_plan_finding() -> None:
    result = _synth("cloud-dev", lambda d: _host(d, "logaudit-2").update(address="172.20.0.22"))
    assert _spread_findings(result) == [
        "the 2 log_audit_server hosts of zone mgmt (cloud-dev-logaudit-1 "
        "(cn-shanghai-l), cloud-dev-logaudit-2 (cn-shanghai-l)): all run in availability zone "
        "cn-shanghai-l; one availability zone failing takes every copy. Give one an address in the "
        "range of another availability zone (mlps.availability)"
    ]


def _closed_to_the_internet(data: dict[str, Any]) -> None:
    """No flow from the internet (its front door needs two availability zones)."""
    for zone in data["zones"]:
        zone["ingress"] = [f for f in zone.get("ingress", []) if f["from"] != "internet"]


def test_one_availability_zone_keeps_one_vswitch_per_zone_and_is_a_finding_on_each() -> None:
    def one(data: dict[str, Any]) -> None:
        del data["cloud"]["availability_zones"]
        _closed_to_the_internet(data)

    result = _synth("cloud-dev", one)
    assert _switches(result)["cloud-dev-vsw-mgmt"] == ("172.20.0.0/24", "cn-shanghai-b")
    found = _spread_findings(result)
    assert [m for m in found if "every subnet lies in" in m] == [
        f"zone {z}: every subnet lies in availability zone cn-shanghai-b, "
        "so the zone goes down with it; give cloud.availability_zones a second one"
        for z in ("app", "dmz", "mgmt")
    ]
    assert sum("node pool" in m for m in found) == 2
    assert sum("log_audit_server hosts" in m for m in found) == 1


def test_openstack_without_availability_zones_leaves_peers_to_the_scheduler_and_says_so() -> None:
    def none(data: dict[str, Any]) -> None:
        del data["cloud"]["availability_zones"]

    found = _spread_findings(_synth("private-cloud", none))
    roles = sorted(m.split(" hosts of zone")[0].rsplit(" ", 1)[-1] for m in found)
    # per zone, and k8s_node once more across the app and dmz zones
    assert roles == ["k8s_control_plane", "k8s_node", "k8s_node", "k8s_node", "log_audit_server",
                     "object_storage"]
    assert all("name no availability zone, so the scheduler may put them together" in m for m in found)


def test_with_one_availability_zone_the_transit_router_takes_the_configured_second() -> None:
    def one(data: dict[str, Any]) -> None:
        del data["cloud"]["availability_zones"]
        _closed_to_the_internet(data)
        data["level"] = 2

    result = synthesize_spec(modified("hybrid-prod", one), ROOT, "hybrid-prod")
    transit = sorted(z for n, (_, z) in _switches(result).items() if "transit" in n)
    assert transit == ["cn-hangzhou-b", "cn-hangzhou-g"]
    assert _switches(result)["hybrid-prod-vsw-dmz"] == ("172.16.10.0/24", "cn-hangzhou-b")


def test_three_availability_zones_build_four_vswitches_per_zone() -> None:
    def three(data: dict[str, Any]) -> None:
        data["cloud"]["availability_zones"] = ["cn-shanghai-l", "cn-shanghai-m", "cn-shanghai-n"]

    result = synthesize_spec(modified("cloud-dev", three), ROOT, "cloud-dev")
    mgmt = {n: v for n, v in _switches(result).items() if n.startswith("cloud-dev-vsw-mgmt")}
    assert mgmt == {
        "cloud-dev-vsw-mgmt-cn-shanghai-l": ("172.20.0.0/26", "cn-shanghai-l"),
        "cloud-dev-vsw-mgmt-cn-shanghai-m": ("172.20.0.64/26", "cn-shanghai-m"),
        "cloud-dev-vsw-mgmt-cn-shanghai-n": ("172.20.0.128/26", "cn-shanghai-n"),
        "cloud-dev-vsw-mgmt-cn-shanghai-l-2": ("172.20.0.192/26", "cn-shanghai-l"),
    }
    assert _spread_findings(result) == []
