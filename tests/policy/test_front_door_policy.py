"""The internet enters a cloud zone only through a front door (ABS-BOUND-01, CLD-ACL-01): each
part of the compliant front door of ``detection_support.front_door`` taken away, and the internet
admitted on a zone's own hosts, is a finding on the resource that lacks it, at every level."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from policy.facts import collect
from policy.policies import PlanGraph, PlanResource
from policy.policies.environment.network import INTERNET_FRONT_DOOR
from tests.policy.detection_support import front_door
from tests.policy.test_environment_policies import changed, good, r, without

RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"


def run(plan: list[PlanResource], level: int = 3) -> list[tuple[str, str, str]]:
    found = INTERNET_FRONT_DOOR.run(PlanGraph(plan, level=level))
    return sorted((s.pointer.split("::")[-1], c, m) for s, (c, m) in found)


def culprits(plan: list[PlanResource], level: int = 3) -> set[tuple[str, str]]:
    return {(name, control) for name, control, _ in run(plan, level)}


BOTH = ("ABS-BOUND-01", "CLD-ACL-01")


def on(name: str) -> set[tuple[str, str]]:
    return {(name, c) for c in BOTH}


def test_the_adapter_reads_what_guards_the_front_door() -> None:
    (door,) = collect(PlanGraph(good())).front_doors
    assert (door.name, door.zone, door.inspects_requests, door.access_log, door.unguarded) == (
        "alb", "app", True, "audit/alb-access", ())


@pytest.mark.parametrize("level", [2, 3, 4])
def test_the_compliant_front_door_passes_at_every_level(level: int) -> None:
    assert run(good(), level) == []


@pytest.mark.parametrize(
    ("plan", "says"),
    [
        (lambda: changed("alb", loadBalancerEdition="Standard"), "no web application firewall"),
        (lambda: without({"alb-access-log"}), "its access logs go nowhere"),
        (lambda: changed("alb-access", retentionPeriod=179), "kept 179 days, not 180"),
        (lambda: without({"alb-access"}), "kept an unknown time"),
        (lambda: without({"eip-m-firewall"}), "public address(es) eip-m"),
        (lambda: without({"deny-all-in"}), "public address(es) eip-l, eip-m"),
        (lambda: changed("deny-all-in", destPort="443/443"), "public address(es) eip-l, eip-m"),
        (lambda: changed("deny-all-in", aclAction="log"), "public address(es) eip-l, eip-m"),
        (lambda: changed("deny-all-in", direction="out"), "public address(es) eip-l, eip-m"),
        (lambda: changed("deny-all-in", release="false"), "public address(es) eip-l, eip-m"),
        (lambda: changed("deny-all-in", repeatType="Daily"), "public address(es) eip-l, eip-m"),
        (lambda: changed("deny-all-in", ipVersion="6", source="::/0", destination="::/0"),
         "public address(es) eip-l, eip-m"),
        (lambda: changed("deny-all-in", destPortType="group", destPort=None),
         "public address(es) eip-l, eip-m"),
        (lambda: without({"deny-all-in-order"}), "public address(es) eip-l, eip-m"),
        (lambda: changed("deny-all-in-order", order=1), "public address(es) eip-l, eip-m"),
        (lambda: changed("accept-eip-l", destPort="0/0"), "public address(es) eip-l, eip-m"),
        (lambda: changed("accept-eip-l", destination="0.0.0.0/0"), "public address(es) eip-l, eip-m"),
        (lambda: changed("alb", zoneMappings=[{"zoneId": "l"}, {"zoneId": "m"}, {"zoneId": "n"}]),
         "1 address(es) the plan does not hold"),
    ],
    ids=["no-waf", "no-access-log", "179-days", "no-store", "one-address-unswitched", "no-deny",
         "deny-one-port", "deny-only-logs", "deny-outbound", "deny-not-released", "deny-daily",
         "deny-ipv6-only", "deny-port-group", "deny-unordered", "deny-before-accepts",
         "accept-every-port", "accept-every-address", "foreign-address"],
)
@pytest.mark.parametrize("level", [2, 3, 4])
def test_each_missing_part_of_the_front_door_is_a_finding_on_the_balancer(
    plan: Any, says: str, level: int
) -> None:
    found = run(plan(), level)
    assert {(n, c) for n, c, _ in found} == on("alb")
    assert all(says in m for _, _, m in found), found


def test_a_store_kept_just_180_days_passes_and_the_inline_access_log_counts() -> None:
    sinks = collect(PlanGraph(good())).log_sinks
    assert [s.retention_days for s in sinks if s.name == "audit/alb-access"] == [180]
    assert run(changed("alb-access", retentionPeriod=181)) == []
    inline = changed("alb", without({"alb-access-log"}), accessLogConfig={"logProject": "audit",
                                                                          "logStore": "alb-access"})
    assert run(inline) == []


@pytest.mark.parametrize("order", [-1, 3, 99])
def test_a_deny_at_the_lowest_priority_or_after_every_accept_guards(order: int) -> None:
    assert run(changed("deny-all-in-order", order=order)) == []


def test_a_deny_naming_every_port_as_a_range_guards_and_a_time_limited_accept_is_not_counted() -> None:
    assert run(changed("deny-all-in", destPort="1/65535")) == []
    assert run(changed("accept-eip-l", destPort="0/0", repeatType="Daily")) == []
    assert run(changed("accept-eip-l", destPort="0/0", release="false")) == []


def test_a_balancer_public_over_ipv6_only_is_a_front_door_too() -> None:
    plan = changed("alb", addressType="Intranet", ipv6AddressType="Internet", loadBalancerEdition="Standard")
    assert culprits(plan) == on("alb")


def test_a_balancer_without_fixed_addresses_is_unguarded() -> None:
    plan = [dataclasses.replace(x, deps={}) if x.name == "alb" else x for x in good()]
    assert "(no fixed public address)" in run(plan)[0][2]


def test_an_intranet_balancer_is_no_front_door() -> None:
    assert run(changed("alb", without({"alb-access-log"}), addressType="Intranet",
                       loadBalancerEdition="Standard")) == []


def _open(cidr: str, zone_sg: str = "sg", v6: bool = False) -> PlanResource:
    return r(RULE, "open", {"type": "ingress", "policy": "accept", "ipProtocol": "tcp",
                            "ipv6CidrIp" if v6 else "cidrIp": cidr, "portRange": "443/443"},
             securityGroupId=f"urn:{zone_sg}")


@pytest.mark.parametrize("level", [2, 3, 4])
@pytest.mark.parametrize(("cidr", "v6"), [("0.0.0.0/0", False), ("0.0.0.0/1", False), ("128.0.0.0/1", False),
                                          ("8.8.8.0/24", False), ("::/0", True), ("2000::/3", True)])
def test_the_internet_admitted_on_a_zone_own_hosts_is_a_finding_on_its_boundary(
    level: int, cidr: str, v6: bool
) -> None:
    found = run([*good(), _open(cidr, v6=v6)], level)
    assert {(n, c) for n, c, _ in found} == on("sg")
    assert f"zone app admits {cidr} on tcp 443 to its own hosts" in found[0][2]


@pytest.mark.parametrize("cidr", ["10.0.1.0/24", "172.16.0.0/12", "192.168.50.0/24", "100.64.0.0/10"])
def test_a_zone_admitting_a_private_or_shared_range_or_a_front_group_is_no_finding(cidr: str) -> None:
    assert run([*good(), _open(cidr)]) == []
    from_group = r(RULE, "via-door", {"type": "ingress", "policy": "accept", "ipProtocol": "tcp",
                                      "portRange": "8443/8443", "sourceSecurityGroupId": "front"},
                   securityGroupId="urn:sg")
    assert run([*good(), from_group]) == []


def test_the_front_door_own_group_admitting_the_internet_is_not_a_zone_but_a_zone_tag_makes_it_one() -> None:
    front = r("alicloud:ecs/securityGroup:SecurityGroup", "front",
              {"innerAccessPolicy": "Drop", "tags": {"mlps:front-door": "app"}})
    assert run([*good(), front, _open("0.0.0.0/0", "front")]) == []
    zoned = r("alicloud:ecs/securityGroup:SecurityGroup", "front",
              {"innerAccessPolicy": "Drop", "tags": {"mlps:zone": "app"}})
    assert culprits([*good(), zoned, _open("0.0.0.0/0", "front")]) == on("front")


def test_without_the_front_door_there_is_no_front_door_finding() -> None:
    """Absent, the internet reaches nothing: the spec's flow is refused before (front_door_problems)."""
    names = {x.name for x in front_door()}
    assert run(without(names)) == []
