"""How a boundary decides a flow (priority, drop before accept, default, own members), and what
required_flows_permitted reports on neutral facts."""

from __future__ import annotations

import dataclasses

import pytest

from mlps.required_flows import RequiredFlow, flows_from_json, flows_to_json
from policy.facts import alicloud, collect, openstack
from policy.facts.model import Boundary, Facts, FirewallRule, Subject, Zone
from policy.policies.base import PlanGraph, PlanResource
from policy.policies.environment.network import _from_internet
from policy.policies.environment.reach import REQUIRED_FLOWS_PERMITTED, decide, report

APP, MGMT = "10.0.0.0/24", "10.0.1.0/24"
RELP = RequiredFlow("app", APP, "mgmt", MGMT, "tcp", 2514, "logs")
NTP = RequiredFlow("app", APP, "10.0.1.9", "10.0.1.9/32", "udp", 123, "time")
WEB = RequiredFlow("internet", "0.0.0.0/0", "app", APP, "tcp", 443, "patients")
DROP_OUT = FirewallRule("egress", "drop", "all", (1, 65535), "0.0.0.0/0", 100)


def _subject(zone: str) -> Subject:
    return Subject(f"sg::{zone}", f"urn:{zone}")


def boundary(zone: str, *rules: FirewallRule, isolates: bool = True) -> Boundary:
    return Boundary(zone, "alicloud", True, True, isolates, (DROP_OUT, *rules), _subject(zone))


def facts(app: tuple[FirewallRule, ...], mgmt: tuple[FirewallRule, ...],
          flows: tuple[RequiredFlow, ...] | None = (RELP, NTP, WEB)) -> Facts:
    return Facts(
        zones=[Zone("app", "alicloud", APP, _subject("vsw-app")),
               Zone("mgmt", "alicloud", MGMT, _subject("vsw-mgmt"))],
        boundaries=[boundary("app", *app), boundary("mgmt", *mgmt)],
        required_flows=flows,
    )


OUT_RELP = FirewallRule("egress", "accept", "tcp", (2514, 2514), MGMT)
OUT_NTP = FirewallRule("egress", "accept", "udp", (123, 123), "10.0.1.9/32")
IN_RELP = FirewallRule("ingress", "accept", "tcp", (2514, 2514), APP)
IN_NTP = FirewallRule("ingress", "accept", "udp", (123, 123), APP)
GOOD = facts((OUT_RELP, OUT_NTP), (IN_RELP, IN_NTP))


def found(f: Facts, level: int = 3) -> list[tuple[str, str]]:
    return [(c, m) for _, (c, m) in REQUIRED_FLOWS_PERMITTED.check(f, level)]


def test_the_needed_flows_pass_and_nothing_else_is_admitted() -> None:
    assert found(GOOD) == []
    rows = report(GOOD)
    assert [(r["target"], r["verdict"]) for r in rows["flows"]] == [
        ("mgmt", "permitted"), ("10.0.1.9", "permitted"), ("app", "not judged")]
    assert [(r["source"], r["target"], r["verdict"]) for r in rows["unneeded_flows_tried"]] == [
        ("mgmt", "app", "denied"), ("app", "mgmt", "denied")]
    assert rows["excess_rules"] == []


def test_a_missing_ingress_rule_stops_the_flow_on_the_far_boundary() -> None:
    message = ("tcp/2514 from app to mgmt (logs) is needed but cannot pass: into mgmt: dropped by the "
               "boundary's default")
    assert found(facts((OUT_RELP, OUT_NTP), (IN_NTP,))) == [("ABS-ACL-01", message), ("CLD-ACL-01", message)]


def test_a_missing_egress_rule_stops_the_flow_at_the_drop_all() -> None:
    message = ("udp/123 from app to 10.0.1.9 (time) is needed but cannot pass: out of app: dropped by "
               "the drop rule all/1-65535 to 0.0.0.0/0 (priority 100)")
    assert found(facts((OUT_RELP,), (IN_RELP, IN_NTP))) == [("ABS-ACL-01", message), ("CLD-ACL-01", message)]


@pytest.mark.parametrize(("priority", "passes"), [(1, False), (2, True)])
def test_a_drop_of_the_same_priority_wins_a_lower_one_loses(priority: int, passes: bool) -> None:
    drop = FirewallRule("ingress", "drop", "tcp", (2500, 2600), "10.0.0.0/16", priority)
    step = decide(boundary("mgmt", IN_RELP, drop), "ingress", "tcp", 2514, APP, False)
    assert step.passes is passes
    assert step.rule == (drop if not passes else IN_RELP)


@pytest.mark.parametrize(
    ("rule", "passes"),
    [
        (FirewallRule("ingress", "accept", "tcp", (2514, 2514), "10.0.0.0/25"), False),  # narrower peer
        (FirewallRule("ingress", "accept", "udp", (2514, 2514), APP), False),  # other protocol
        (FirewallRule("ingress", "accept", "tcp", (2515, 2520), APP), False),  # port just outside
        (FirewallRule("ingress", "accept", "tcp", (2510, 2514), APP), True),  # port at the edge
        (FirewallRule("ingress", "accept", "all", (1, 65535), "10.0.0.0/8"), True),
        (FirewallRule("ingress", "accept", "tcp", (2514, 2514), ""), None),  # another group's: not judged
        (FirewallRule("egress", "accept", "tcp", (2514, 2514), APP), False),  # other direction
    ],
)
def test_a_rule_lets_a_packet_in_only_when_it_covers_all_of_it(
    rule: FirewallRule, passes: bool | None
) -> None:
    assert decide(boundary("mgmt", rule), "ingress", "tcp", 2514, APP, False).passes is passes


def test_members_of_one_zone_pass_unless_isolated_and_then_by_a_self_rule() -> None:
    within = boundary("app", isolates=False)
    assert decide(within, "ingress", "tcp", 8443, APP, True).passes
    isolated = boundary("app")
    assert not decide(isolated, "ingress", "tcp", 8443, APP, True).passes
    own = boundary("app", FirewallRule("ingress", "accept", "tcp", (8443, 8443), "self"))
    assert decide(own, "ingress", "tcp", 8443, APP, True).passes
    assert not decide(own, "ingress", "tcp", 8443, MGMT, False).passes  # self is not another zone


def test_a_boundary_allowing_by_default_lets_unruled_traffic_out() -> None:
    open_out = Boundary("app", "alicloud", True, False, True, (), _subject("app"))
    assert decide(open_out, "egress", "tcp", 9999, MGMT, False).passes


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        (FirewallRule("ingress", "accept", "tcp", (22, 22), APP),
         "no flow of the spec or of the roles needs it"),
        (FirewallRule("ingress", "accept", "tcp", (2514, 2514), "10.0.0.0/16"),
         "it admits more than the flows it serves (tcp/2514 app to mgmt)"),
        (FirewallRule("ingress", "accept", "tcp", (2514, 2515), APP),
         "it admits more than the flows it serves (tcp/2514 app to mgmt)"),
    ],
)
def test_an_accept_rule_no_flow_needs_or_wider_than_its_flows_is_excess(
    extra: FirewallRule, why: str
) -> None:
    got = found(facts((OUT_RELP, OUT_NTP), (IN_RELP, IN_NTP, extra)))
    assert [c for c, _ in got] == ["ABS-ACL-02", "CLD-ACL-01"]
    assert got[0][1].endswith(why), got


@pytest.mark.parametrize("group", ["", "sg-0123456789"])
def test_a_rule_naming_another_group_is_never_judged_as_if_absent(group: str) -> None:
    balancer = FirewallRule("ingress", "accept", "tcp", (8443, 8443), group)
    assert found(facts((OUT_RELP, OUT_NTP), (IN_RELP, IN_NTP, balancer))) == []  # not excess
    step = decide(boundary("mgmt", balancer), "ingress", "tcp", 8443, APP, False)
    assert step.passes is None and step.rule == balancer
    assert step.text() == ("into mgmt: not judged, the accept rule tcp/8443 from another group's "
                           "members (priority 1) may decide it")
    # a range rule of a later priority does not decide past it; an earlier one does
    late = FirewallRule("ingress", "drop", "tcp", (8443, 8443), APP, 2)
    assert decide(boundary("mgmt", balancer, late), "ingress", "tcp", 8443, APP, False).passes is None
    early = dataclasses.replace(balancer, priority=2)
    first = FirewallRule("ingress", "drop", "tcp", (8443, 8443), APP, 1)
    assert decide(boundary("mgmt", early, first), "ingress", "tcp", 8443, APP, False).passes is False
    # a flow such a rule may decide is not judged, neither passed nor a finding
    web = RequiredFlow("app", APP, "mgmt", MGMT, "tcp", 8443, "web")
    both = facts((OUT_RELP, OUT_NTP, FirewallRule("egress", "accept", "tcp", (8443, 8443), MGMT)),
                 (IN_RELP, IN_NTP, balancer), (RELP, NTP, web))
    assert found(both) == []
    assert report(both)["flows"][-1]["verdict"] == "not judged"


def test_without_the_required_flows_the_rules_are_not_judged_and_it_says_so() -> None:
    message = ("the flows the spec needs were not given (pack config requiredFlows): the rules of 2 "
               "boundaries cannot be judged")
    assert found(facts((), (), None)) == [("ABS-ACL-01", message), ("ABS-ACL-02", message)]
    assert found(Facts(required_flows=None)) == []  # no boundary: nothing to judge


def test_flows_round_trip_and_bad_entries_are_named() -> None:
    assert flows_from_json(flows_to_json([WEB, RELP, RELP])) == tuple(sorted((RELP, WEB)))
    bad = [{**RELP.to_json(), "port": 70000}]
    with pytest.raises(ValueError, match=r"requiredFlows/0/port: a port number 1-65535"):
        flows_from_json(bad)
    with pytest.raises(ValueError, match=r"requiredFlows/0/source_cidr: 'x' is not a network"):
        flows_from_json([{**RELP.to_json(), "source_cidr": "x"}])
    with pytest.raises(ValueError, match="exactly source"):
        flows_from_json([{"source": "a"}])


def _resource(type_: str, name: str, props: dict[str, object], **deps: str) -> PlanResource:
    provider = type_.split(":")[0]
    return PlanResource(type_, name, f"urn:{name}", props, provider, {k: (v,) for k, v in deps.items()})


def test_an_alibaba_rule_naming_its_own_group_admits_the_zones_members() -> None:
    plan = [
        _resource(alicloud.GROUP, "sg-app", {"innerAccessPolicy": "Drop", "tags": {"mlps:zone": "app"}}),
        _resource(alicloud.RULE, "own", {"type": "ingress", "policy": "accept", "ipProtocol": "tcp",
                                         "portRange": "8443/8443"},
                  securityGroupId="urn:sg-app", sourceSecurityGroupId="urn:sg-app"),
    ]
    (group,) = collect(PlanGraph(plan)).boundaries
    assert [r.cidr for r in group.rules] == ["self"]
    assert decide(group, "ingress", "tcp", 8443, APP, True).passes
    assert not decide(group, "ingress", "tcp", 5432, APP, True).passes
    assert decide(group, "ingress", "tcp", 8443, MGMT, False).passes is False


@pytest.mark.parametrize(("low", "high", "isolates"), [(8443, 8443, True), (None, None, False)])
def test_an_openstack_group_isolates_its_members_unless_a_rule_admits_them_on_every_port(
    low: int | None, high: int | None, isolates: bool
) -> None:
    ports = {"portRangeMin": low, "portRangeMax": high} if low else {}
    plan = [
        _resource(openstack.GROUP, "sg-app", {"deleteDefaultRules": True, "tags": ["mlps:zone=app"]}),
        _resource(openstack.RULE, "own", {"direction": "ingress", "ethertype": "IPv4",
                                          **({"protocol": "tcp"} if low else {}), **ports},
                  securityGroupId="urn:sg-app", remoteGroupId="urn:sg-app"),
    ]
    (group,) = collect(PlanGraph(plan)).boundaries
    assert group.isolates_members is isolates
    assert decide(group, "ingress", "tcp", 8443, APP, True).passes
    assert decide(group, "ingress", "tcp", 5432, APP, True).passes is not isolates
    assert not any(_from_internet(r) for r in group.rules)  # its own members are not the internet
