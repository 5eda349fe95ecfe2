"""How a boundary decides a flow (priority, drop before accept, default, own members), and what
required_flows_permitted reports on neutral facts."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mlps.required_flows import RequiredFlow, flows_from_json, flows_to_json
from policy.facts import (
    alicloud,
    alicloud_front,
    alicloud_listeners,
    alicloud_network,
    collect,
    openstack,
    openstack_front,
)
from policy.facts.boundaries import Boundary, FirewallRule, FrontDoor, Listener, Zone
from policy.facts.model import Facts, Subject
from policy.policies.base import PlanGraph, PlanResource
from policy.policies.environment.decision import decide
from policy.policies.environment.network import _from_internet
from policy.policies.environment.reach import REQUIRED_FLOWS_PERMITTED, report

APP, MGMT = "10.0.0.0/24", "10.0.1.0/24"
RELP = RequiredFlow("app", APP, "mgmt", MGMT, "tcp", 2514, "logs")
NTP = RequiredFlow("app", APP, "10.0.1.9", "10.0.1.9/32", "udp", 123, "time")
WEB = RequiredFlow("internet", "0.0.0.0/0", "app", APP, "tcp", 443, "patients")
DROP_OUT = FirewallRule("egress", "drop", "all", (1, 65535), "0.0.0.0/0", 100)


def _subject(zone: str) -> Subject:
    return Subject(f"sg::{zone}", f"urn:{zone}")


def boundary(zone: str, *rules: FirewallRule, isolates: bool = True) -> Boundary:
    return Boundary(zone, "alicloud", True, True, isolates, (DROP_OUT, *rules), _subject(zone))


ALB_GROUP = "urn:sg-alb"
ALB_IN = FirewallRule("ingress", "accept", "tcp", (443, 443), "0.0.0.0/0")
ALB_OUT = FirewallRule("egress", "accept", "tcp", (8443, 8443), APP)
FROM_ALB = FirewallRule("ingress", "accept", "tcp", (8443, 8443), "", group=ALB_GROUP)
LISTENER = Listener("alb", "alicloud", "app", "tcp", 443, ("0.0.0.0/0",), (8443,), (ALB_GROUP,),
                    (APP,), (APP,), _subject("albconfig"))
EDGE = (("accept", "tcp", 443, 443), ("drop", "all", 1, 65535))
DOOR = FrontDoor("alb", "alicloud", "app", True, "logs", (), _subject("alb"), (EDGE, EDGE))


def balancer_group(*rules: FirewallRule) -> Boundary:
    return dataclasses.replace(boundary("", *rules), group=ALB_GROUP)


def facts(app: tuple[FirewallRule, ...], mgmt: tuple[FirewallRule, ...],
          flows: tuple[RequiredFlow, ...] | None = (RELP, NTP, WEB), *,
          alb: tuple[FirewallRule, ...] = (ALB_IN, ALB_OUT), listener: Listener | None = LISTENER,
          door: FrontDoor = DOOR) -> Facts:
    return Facts(
        zones=[Zone("app", "alicloud", APP, _subject("vsw-app")),
               Zone("mgmt", "alicloud", MGMT, _subject("vsw-mgmt"))],
        boundaries=[boundary("app", *app), boundary("mgmt", *mgmt), balancer_group(*alb)],
        front_doors=[door],
        listeners=[listener] if listener else [],
        required_flows=flows,
    )


OUT_RELP = FirewallRule("egress", "accept", "tcp", (2514, 2514), MGMT)
OUT_NTP = FirewallRule("egress", "accept", "udp", (123, 123), "10.0.1.9/32")
IN_RELP = FirewallRule("ingress", "accept", "tcp", (2514, 2514), APP)
IN_NTP = FirewallRule("ingress", "accept", "udp", (123, 123), APP)
APP_RULES = (OUT_RELP, OUT_NTP, FROM_ALB)
GOOD = facts(APP_RULES, (IN_RELP, IN_NTP))


def found(f: Facts, level: int = 3) -> list[tuple[str, str]]:
    return [(c, m) for _, (c, m) in REQUIRED_FLOWS_PERMITTED.check(f, level)]


def test_the_needed_flows_pass_and_nothing_else_is_admitted() -> None:
    assert found(GOOD) == []
    rows = report(GOOD)
    assert [(r["target"], r["verdict"]) for r in rows["flows"]] == [
        ("mgmt", "permitted"), ("10.0.1.9", "permitted"), ("app", "permitted")]
    assert rows["flows"][-1]["path"] == [
        "at the internet boundary in front of alb: lets it in",
        "the listener tcp/443 of alb accepts connections from 0.0.0.0/0",
        "into the group of alb: passes by the accept rule tcp/443 from 0.0.0.0/0 (priority 1)",
        "out of the group of alb to 10.0.0.0/24: passes by the accept rule tcp/8443 to 10.0.0.0/24 "
        "(priority 1)",
        "into app from 10.0.0.0/24: passes by the accept rule tcp/8443 from the load balancer's group "
        "(priority 1)"]
    assert [(r["source"], r["target"], r["verdict"]) for r in rows["unneeded_flows_tried"]] == [
        ("mgmt", "app", "denied"), ("internet", "app", "denied"), ("app", "mgmt", "denied"),
        ("internet", "mgmt", "denied")]
    assert rows["unneeded_flows_tried"][1]["path"] == [
        "no load balancer listens for it", "into app: dropped by the boundary's default"]
    assert rows["excess_rules"] == []


def test_a_missing_ingress_rule_stops_the_flow_on_the_far_boundary() -> None:
    message = ("tcp/2514 from app to mgmt (logs) is needed but cannot pass: into mgmt: dropped by the "
               "boundary's default")
    assert found(facts(APP_RULES, (IN_NTP,))) == [("ABS-ACL-01", message), ("CLD-ACL-01", message)]


def test_a_missing_egress_rule_stops_the_flow_at_the_drop_all() -> None:
    message = ("udp/123 from app to 10.0.1.9 (time) is needed but cannot pass: out of app: dropped by "
               "the drop rule all/1-65535 to 0.0.0.0/0 (priority 100)")
    assert found(facts((OUT_RELP, FROM_ALB), (IN_RELP, IN_NTP))) == [
        ("ABS-ACL-01", message), ("CLD-ACL-01", message)]


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
    got = found(facts(APP_RULES, (IN_RELP, IN_NTP, extra)))
    assert [c for c, _ in got] == ["ABS-ACL-02", "CLD-ACL-01"]
    assert got[0][1].endswith(why), got


@pytest.mark.parametrize("group", ["", "sg-0123456789"])
def test_a_rule_naming_another_group_is_never_judged_as_if_absent(group: str) -> None:
    balancer = FirewallRule("ingress", "accept", "tcp", (8443, 8443), group)
    assert found(facts(APP_RULES, (IN_RELP, IN_NTP, balancer))) == []  # not excess
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
    both = facts((*APP_RULES, FirewallRule("egress", "accept", "tcp", (8443, 8443), MGMT)),
                 (IN_RELP, IN_NTP, balancer), (RELP, NTP, WEB, web))
    assert found(both) == []
    assert report(both)["flows"][-1]["verdict"] == "not judged"


def test_without_the_required_flows_the_rules_are_not_judged_and_it_says_so() -> None:
    message = ("the flows the spec needs were not given (pack config requiredFlows): the rules of 3 "
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


def _web(f: Facts) -> dict[str, Any]:
    row: dict[str, Any] = report(f)["flows"][-1]
    return row


@pytest.mark.parametrize(
    ("change", "verdict", "stop"),
    [
        ({"door": dataclasses.replace(DOOR, edge=((("accept", "tcp", 440, 443), *EDGE[1:]),) * 2)},
         "permitted", None),
        ({"door": dataclasses.replace(DOOR, edge=((("accept", "all", 1, 65535),),) * 2)}, "permitted", None),
        ({"door": dataclasses.replace(DOOR, edge=((("accept", "tcp", 444, 450), *EDGE[1:]),) * 2)}, "denied",
         "at the internet boundary in front of alb: its first rule matching tcp/443 drops it"),
        ({"door": dataclasses.replace(DOOR, edge=((("accept", "udp", 443, 443), *EDGE[1:]),) * 2)}, "denied",
         "at the internet boundary in front of alb: its first rule matching tcp/443 drops it"),
        # a drop ordered before the accept wins; on one of two addresses is enough to stop it
        ({"door": dataclasses.replace(DOOR, edge=(EDGE, (("drop", "tcp", 443, 443), *EDGE)))}, "denied",
         "at the internet boundary in front of alb: its first rule matching tcp/443 drops it"),
        ({"door": dataclasses.replace(DOOR, edge=(EDGE, (("unordered", "tcp", 443, 443), *EDGE)))},
         "not judged", None),
        ({"door": dataclasses.replace(DOOR, edge=((),))}, "permitted", None),  # nothing matches: it passes
        ({"door": dataclasses.replace(DOOR, edge=None)}, "permitted", None),
        ({"listener": dataclasses.replace(LISTENER, sources=("0.0.0.0/1",))}, "denied",
         "the listener tcp/443 of alb does not accept connections from 0.0.0.0/0 (only 0.0.0.0/1)"),
        ({"listener": dataclasses.replace(LISTENER, refused=("203.0.113.0/24",))}, "permitted", None),
        ({"listener": dataclasses.replace(LISTENER, refused=("0.0.0.0/0",))}, "denied",
         "the listener tcp/443 of alb refuses connections from 0.0.0.0/0 (its blacklist: 0.0.0.0/0)"),
        ({"listener": dataclasses.replace(LISTENER, sources=None)}, "not judged", None),
        ({"listener": dataclasses.replace(LISTENER, backends=())}, "denied",
         "the listener tcp/443 of alb: it forwards to nothing"),
        ({"listener": dataclasses.replace(LISTENER, backends=None)}, "not judged", None),
        ({"listener": dataclasses.replace(LISTENER, groups=("urn:sg-gone",))}, "not judged", None),
        ({"listener": dataclasses.replace(LISTENER, groups=(ALB_GROUP, "sg-literal"))}, "not judged", None),
        ({"alb": (ALB_OUT,)}, "denied", "into the group of alb: dropped by the boundary's default"),
        ({"alb": (ALB_IN,)}, "denied",
         "out of the group of alb to 10.0.0.0/24: dropped by the drop rule all/1-65535 to 0.0.0.0/0 "
         "(priority 100)"),
        ({"alb": (ALB_IN, dataclasses.replace(ALB_OUT, cidr="10.0.0.0/25"))}, "denied",
         "out of the group of alb to 10.0.0.0/24: dropped by the drop rule all/1-65535 to 0.0.0.0/0 "
         "(priority 100)"),
    ],
)
def test_a_flow_from_the_internet_passes_the_edge_the_listener_and_both_groups(
    change: dict[str, Any], verdict: str, stop: str | None
) -> None:
    f = facts(APP_RULES, (IN_RELP, IN_NTP), **change)
    row = _web(f)
    assert row["verdict"] == verdict, row
    got = found(f)
    if stop is None:
        assert [c for c, m in got if "from internet" in m] == []
        return
    assert stop in row["path"]
    message = f"tcp/443 from internet to app (patients) is needed but cannot pass: {stop}"
    assert ("ABS-ACL-01", message) in got and ("CLD-ACL-01", message) in got


@pytest.mark.parametrize(
    ("rule", "verdict"),
    [
        (FROM_ALB, "permitted"),
        (dataclasses.replace(FROM_ALB, group="urn:sg-other"), "not judged"),  # may be the balancer's
        (FirewallRule("ingress", "accept", "tcp", (8443, 8443), APP), "permitted"),  # its addresses
        (FirewallRule("ingress", "accept", "tcp", (8443, 8443), "self"), "denied"),  # not a member
        (dataclasses.replace(FROM_ALB, ports=(8444, 8444)), "denied"),
    ],
)
def test_the_zone_admits_the_balancer_by_its_group_or_its_range_only(
    rule: FirewallRule, verdict: str
) -> None:
    assert _web(facts((OUT_RELP, OUT_NTP, rule), (IN_RELP, IN_NTP)))["verdict"] == verdict


def test_without_a_listener_the_flow_must_enter_the_zone_itself() -> None:
    denied = _web(facts(APP_RULES, (IN_RELP, IN_NTP), listener=None))
    assert denied["verdict"] == "denied"
    assert denied["path"] == ["no load balancer listens for it",
                              "into app: dropped by the boundary's default"]
    direct = FirewallRule("ingress", "accept", "tcp", (443, 443), "0.0.0.0/0")
    opened = facts((*APP_RULES, direct), (IN_RELP, IN_NTP), listener=None)
    assert _web(opened)["verdict"] == "permitted"
    # the direct rule is the one used; a rule naming a group no balancer of the plan has is not judged
    assert report(opened)["excess_rules"] == []


def test_a_rule_naming_the_balancers_group_is_judged_like_a_range() -> None:
    wide = dataclasses.replace(FROM_ALB, ports=(8443, 8444))
    got = found(facts((OUT_RELP, OUT_NTP, wide), (IN_RELP, IN_NTP)))
    assert got == [(c, "the boundary of zone app accepts ingress tcp/8443-8444 from the group urn:sg-alb: "
                       "it admits more than the flows it serves (tcp/443 internet to app)")
                   for c in ("ABS-ACL-02", "CLD-ACL-01")]


def _alibaba_front(annotation: str | None, target: object = 8443,
                   redirect: bool = False) -> list[PlanResource]:
    notes = {"alb.ingress.kubernetes.io/listen-ports": annotation} if annotation else {}
    if redirect:
        notes["alb.ingress.kubernetes.io/ssl-redirect"] = "true"
    return [
        _resource(alicloud_front.ALB, "alb", {"addressType": "Internet", "loadBalancerName": "alb",
                                             "tags": {"mlps:front-door": "app"}}),
        _resource(alicloud_listeners.GROUP_ATTACHMENT, "alb-sg", {}, loadBalancerId="urn:alb",
                  securityGroupId="urn:sg-alb"),
        _resource(alicloud_listeners.ALB_CONFIG, "cfg", {"metadata": {"name": "front"}, "spec": {
            "listeners": [{"port": 443, "protocol": "HTTPS"}, {"port": 80, "protocol": "HTTP"}]}},
                  spec="urn:alb"),
        _resource(alicloud_listeners.INGRESS_CLASS, "cls", {"metadata": {"name": "front-class"}, "spec": {
            "parameters": {"kind": "AlbConfig", "name": "front"}}}),
        _resource(alicloud_listeners.INGRESS, "ing", {"metadata": {"namespace": "app", "annotations": notes},
                                                  "spec": {"ingressClassName": "front-class", "rules": [
                                                      {"http": {"paths": [{"backend": {"service": {
                                                          "name": "portal", "port": {"number": 443}}}}]}}]}}),
        _resource(alicloud_listeners.SERVICE, "svc", {"metadata": {"namespace": "app", "name": "portal"},
                                                  "spec": {"ports": [{"port": 443, "targetPort": target}]}}),
    ]


def test_an_alibaba_balancer_listens_where_its_albconfig_says_and_forwards_to_the_services_ports() -> None:
    by_port = {li.port: li for li in collect(PlanGraph(_alibaba_front('[{"HTTPS": 443}]'))).listeners}
    assert sorted(by_port) == [80, 443]
    assert by_port[443].backends == (8443,) and by_port[80].backends == ()
    assert by_port[443].groups == ("urn:sg-alb",) and by_port[443].zone == "app"
    plain = {li.port: li.backends for li in collect(PlanGraph(_alibaba_front(None))).listeners}
    assert plain == {443: (), 80: (8443,)}  # without the annotation an Ingress listens on HTTP 80
    named = {li.port: li.backends for li in collect(PlanGraph(_alibaba_front('[{"HTTPS": 443}]', "https")))
             .listeners}
    assert named[443] is None  # a named target port: the plan does not say which
    both = '[{"HTTPS": 443}, {"HTTP": 80}]'
    redirected = {li.port: (li.backends, li.redirects)
                  for li in collect(PlanGraph(_alibaba_front(both, redirect=True))).listeners}
    assert redirected == {443: ((8443,), False), 80: ((), True)}  # HTTP answered by the balancer
    forwarded = {li.port: (li.backends, li.redirects)
                 for li in collect(PlanGraph(_alibaba_front(both))).listeners}
    assert forwarded == {443: ((8443,), False), 80: ((8443,), False)}


def test_a_listener_redirecting_to_https_carries_the_flow_no_further() -> None:
    http = RequiredFlow("internet", "0.0.0.0/0", "app", APP, "tcp", 80, "redirect")
    listener = dataclasses.replace(LISTENER, port=80, backends=(), redirects=True)
    ok = facts(APP_RULES, (IN_RELP, IN_NTP), (RELP, NTP, http), listener=listener,
               door=dataclasses.replace(DOOR, edge=((("accept", "tcp", 80, 80),),)), alb=(
                   dataclasses.replace(ALB_IN, ports=(80, 80)),))
    row = _web(ok)
    assert row["verdict"] == "permitted"
    assert row["path"][-1] == "the listener tcp/80 of alb: it answers itself, redirecting to HTTPS"
    # the balancer's rule on the app zone now serves no flow: it is excess
    assert [r["rule"] for r in report(ok)["excess_rules"]] == ["ingress tcp/8443 from the group urn:sg-alb"]


def test_an_openstack_listener_takes_its_allowed_ranges_and_its_members_ports() -> None:
    plan = [
        _resource(openstack.SUBNET, "sub", {"cidr": APP, "tags": ["mlps:zone=app"]}),
        _resource(openstack_front.BALANCER, "lb", {"name": "lb"}, vipSubnetId="urn:sub"),
        _resource(openstack_front.LISTENER, "lis", {"protocol": "HTTPS", "protocolPort": 443,
                                                   "allowedCidrs": ["198.51.100.0/24"]},
                  loadbalancerId="urn:lb"),
        _resource(openstack_front.POOL, "pool", {}, listenerId="urn:lis"),
        _resource(openstack_front.MEMBER, "m1", {"protocolPort": 8443}, poolId="urn:pool"),
    ]
    (li,) = collect(PlanGraph(plan)).listeners
    assert (li.zone, li.protocol, li.port, li.sources, li.backends, li.groups) == (
        "app", "tcp", 443, ("198.51.100.0/24",), (8443,), ())
    assert li.addresses == li.targets == (APP,)  # the amphorae send from the members' subnet
    members = FirewallRule("ingress", "accept", "tcp", (8443, 8443), APP)
    row = _web(Facts(zones=collect(PlanGraph(plan)).zones, listeners=[li], required_flows=(WEB,),
                     boundaries=[boundary("app", members)]))
    assert row["verdict"] == "denied"
    assert row["path"] == [
        "at the internet boundary in front of lb: no firewall filters",
        "the listener tcp/443 of lb does not accept connections from 0.0.0.0/0 (only 198.51.100.0/24)",
        "into app from 10.0.0.0/24: passes by the accept rule tcp/8443 from 10.0.0.0/24 (priority 1)"]


def test_ssh_from_the_internet_is_tried_on_every_zone_and_shown_when_it_passes() -> None:
    def internet(f: Facts) -> dict[str, str]:
        tried = report(f)["unneeded_flows_tried"]
        return {r["target"]: r["verdict"] for r in tried if r["source"] == "internet"}

    assert internet(GOOD) == {"app": "denied", "mgmt": "denied"}
    ssh = FirewallRule("ingress", "accept", "tcp", (22, 22), "0.0.0.0/0")
    assert internet(facts(APP_RULES, (IN_RELP, IN_NTP, ssh))) == {"app": "denied", "mgmt": "permitted"}
    listening = dataclasses.replace(LISTENER, port=22, backends=(22,))
    forwarded = facts((*APP_RULES, dataclasses.replace(FROM_ALB, ports=(22, 22))), (IN_RELP, IN_NTP),
                      alb=(ALB_IN, ALB_OUT, dataclasses.replace(ALB_IN, ports=(22, 22)),
                           dataclasses.replace(ALB_OUT, ports=(22, 22))),
                      listener=listening, door=dataclasses.replace(DOOR, edge=None))
    assert internet(forwarded) == {"app": "permitted", "mgmt": "denied"}


@pytest.mark.parametrize(
    ("rules", "direction", "passes"),
    [
        # a drop wins at its priority whatever a rule naming another group accepts there
        ((FirewallRule("ingress", "drop", "tcp", (443, 443), "0.0.0.0/0", 1),
          FirewallRule("ingress", "accept", "tcp", (443, 443), "", 1, group="urn:x")), "ingress", False),
        # ... but an accept beside a drop naming another group may lose to it
        ((FirewallRule("ingress", "accept", "tcp", (443, 443), "0.0.0.0/0", 1),
          FirewallRule("ingress", "drop", "tcp", (443, 443), "", 1, group="urn:x")), "ingress", None),
        # a drop naming another group changes nothing against a default that denies
        ((FirewallRule("ingress", "drop", "tcp", (443, 443), "", 1, group="urn:x"),), "ingress", False),
        ((FirewallRule("egress", "accept", "tcp", (443, 443), "", 1, group="urn:x"),), "egress", None),
    ],
)
def test_a_rule_naming_another_group_leaves_a_packet_unjudged_only_where_it_could_change_it(
    rules: tuple[FirewallRule, ...], direction: str, passes: bool | None
) -> None:
    guard = Boundary("app", "alicloud", True, True, True, rules, _subject("app"))
    assert decide(guard, direction, "tcp", 443, "0.0.0.0/0", False).passes is passes


def test_every_part_of_a_split_zone_is_judged() -> None:
    half = "10.0.0.0/25"
    f = facts((OUT_RELP, OUT_NTP, FirewallRule("ingress", "accept", "tcp", (8443, 8443), half)),
              (IN_RELP, IN_NTP), alb=(ALB_IN, dataclasses.replace(ALB_OUT, cidr=half)),
              listener=dataclasses.replace(LISTENER, groups=(), addresses=(half, "10.0.0.128/25"),
                                           targets=(half, "10.0.0.128/25")))
    row = _web(f)
    assert row["verdict"] == "denied"
    assert "into app from 10.0.0.128/25: dropped by the boundary's default" in row["path"]


def test_a_rule_for_ports_the_plan_does_not_say_is_not_called_excess() -> None:
    f = facts(APP_RULES, (IN_RELP, IN_NTP), listener=dataclasses.replace(LISTENER, backends=None))
    assert _web(f)["verdict"] == "not judged"
    assert report(f)["excess_rules"] == []


def test_the_path_shown_does_not_depend_on_the_order_of_the_listeners() -> None:
    stuck = dataclasses.replace(LISTENER, backends=())
    unknown = dataclasses.replace(LISTENER, balancer="alb2", backends=None)
    for order in ([stuck, unknown], [unknown, stuck]):
        f = dataclasses.replace(facts(APP_RULES, (IN_RELP, IN_NTP)), listeners=order)
        assert _web(f)["verdict"] == "not judged"


def _cloud_firewall(*policies: tuple[str, dict[str, object], int | None]) -> list[PlanResource]:
    plan = [_resource(alicloud_front.ALB, "alb", {"addressType": "Internet", "loadBalancerName": "alb",
                                                  "tags": {"mlps:front-door": "app"}, "zoneMappings": [{}]},
                      zoneMappings="urn:eip"),
            _resource(alicloud_front.EIP, "eip", {}),
            _resource(alicloud_front.FW_SWITCH, "fw", {}, internetAddress="urn:eip")]
    for name, props, order in policies:
        plan.append(_resource(alicloud_front.CONTROL, name, {"direction": "in", "source": "0.0.0.0/0",
                                                             "destPortType": "port", **props},
                              **({} if "destination" in props else {"destination": "urn:eip"})))
        if order is not None:
            plan.append(_resource(alicloud_front.ORDER, f"{name}-order", {"order": order},
                                  aclUuid=f"urn:{name}"))
    return plan


DENY_ALL = ("deny", {"aclAction": "drop", "proto": "ANY", "destination": "0.0.0.0/0", "destPort": "0/0"}, -1)
ACCEPT_443 = ("web", {"aclAction": "accept", "proto": "TCP", "destPort": "443/443"}, 2)


@pytest.mark.parametrize(
    ("extra", "passes"),
    [
        ((), True),
        ((("stop", {"aclAction": "drop", "proto": "TCP", "destination": "0.0.0.0/0", "destPort": "443"}, 1),),
         False),  # a drop ordered before the accept
        ((("late", {"aclAction": "drop", "proto": "TCP", "destination": "0.0.0.0/0", "destPort": "443"}, 3),),
         True),  # ... after it, too late
        ((("book", {"aclAction": "drop", "proto": "TCP", "destPortType": "group", "destPortGroup": "x"}, 1),),
         None),  # ports from an address book: not judged
        ((("loose", {"aclAction": "drop", "proto": "TCP", "destPort": "443/443"}, None),), None),  # no order
    ],
)
def test_cloud_firewall_decides_by_its_order(extra: tuple[tuple[str, dict[str, object], int | None], ...],
                                              passes: bool | None) -> None:
    f = collect(PlanGraph(_cloud_firewall(ACCEPT_443, DENY_ALL, *extra)))
    (door,) = f.front_doors
    row = _web(facts(APP_RULES, (IN_RELP, IN_NTP), door=dataclasses.replace(DOOR, edge=door.edge)))
    assert row["verdict"] == {True: "permitted", False: "denied", None: "not judged"}[passes]


def test_an_ipv6_accept_does_not_let_an_ipv4_flow_through_cloud_firewall() -> None:
    v6 = ("web6", {"aclAction": "accept", "proto": "TCP", "destPort": "443/443", "ipVersion": "6",
                   "source": "::/0"}, 2)
    (door,) = collect(PlanGraph(_cloud_firewall(v6, DENY_ALL))).front_doors
    assert door.edge == ((("drop", "all", 1, 65535),),)


def test_an_alibaba_balancer_group_the_plan_does_not_build_leaves_the_flow_unjudged() -> None:
    plan = _alibaba_front('[{"HTTPS": 443}]')
    plan[1] = _resource(alicloud_listeners.GROUP_ATTACHMENT, "alb-sg", {"securityGroupId": "sg-literal"},
                        loadBalancerId="urn:alb")
    (https, _) = sorted(collect(PlanGraph(plan)).listeners, key=lambda li: -li.port)
    assert https.groups == ("sg-literal",)
    row = _web(facts(APP_RULES, (IN_RELP, IN_NTP), listener=dataclasses.replace(https, addresses=(APP,))))
    assert row["verdict"] == "not judged"
    assert "the group of alb: sg-literal not in the plan, not judged" in row["path"]


def test_listener_facts_survive_malformed_kubernetes_objects() -> None:
    plan = _alibaba_front('[{"HTTPS": 443}]')
    plan[2] = _resource(alicloud_listeners.ALB_CONFIG, "cfg", {"metadata": {"name": "front"}, "spec": {
        "listeners": ["443", {"port": "443"}, {"port": 443, "protocol": "HTTPS"}]}}, spec="urn:alb")
    plan[5] = _resource(alicloud_listeners.SERVICE, "svc", {"metadata": [], "spec": {"ports": ["x", 7]}})
    (li,) = collect(PlanGraph(plan)).listeners
    assert (li.port, li.backends) == (443, None)  # the Service it names cannot be read: not judged
    plan[4] = _resource(alicloud_listeners.INGRESS, "ing", {"metadata": {"annotations": {
        "alb.ingress.kubernetes.io/listen-ports": "not json"}}, "spec": {
        "ingressClassName": "front-class", "rules": ["x", {"http": "y"}]}})
    (li,) = collect(PlanGraph(plan)).listeners
    assert (li.port, li.backends) == (443, ())
    plan[4] = _resource(alicloud_listeners.INGRESS, "ing", {"metadata": "x", "spec": {
        "ingressClassName": "front-class", "rules": ["x", {"http": "y"}]}})
    assert [li.backends for li in collect(PlanGraph(plan)).listeners] == [()]


@pytest.mark.parametrize(("provider", "addresses"), [("", (APP,)), ("ovn", ("198.51.100.0/24",))])
def test_an_octavia_balancer_sends_from_its_amphorae_or_with_the_clients_addresses(
    provider: str, addresses: tuple[str, ...]
) -> None:
    plan = [
        _resource(openstack.SUBNET, "sub", {"cidr": APP, "tags": ["mlps:zone=app"]}),
        _resource(openstack_front.BALANCER, "lb", {"name": "lb", "loadbalancerProvider": provider},
                  vipSubnetId="urn:sub"),
        _resource(openstack_front.LISTENER, "lis", {"protocol": "UDP", "protocolPort": 514,
                                                   "allowedCidrs": "198.51.100.0/24"},
                  loadbalancerId="urn:lb"),
        _resource(openstack_front.POOL, "pool", {}, listenerId="urn:lis"),
        _resource(openstack_front.MEMBER, "m1", {"protocolPort": 514}, poolId="urn:pool", subnetId="urn:sub"),
        _resource(openstack_front.MEMBER, "m2", {"protocolPort": "x"}, poolId="urn:pool"),
    ]
    (li,) = collect(PlanGraph(plan)).listeners
    assert (li.protocol, li.backend_protocol, li.sources, li.addresses) == (
        "udp", "udp", ("198.51.100.0/24",), addresses)
    assert li.backends is None  # one member's port is not a number: not judged, never "nothing"


def test_a_port_range_that_cannot_be_read_counts_as_every_port() -> None:
    plan = [
        _resource(alicloud.GROUP, "sg-app", {"tags": {"mlps:zone": "app"}}),
        _resource(alicloud.RULE, "odd", {"type": "ingress", "policy": "accept", "ipProtocol": "tcp",
                                         "portRange": "abc", "cidrIp": APP}, securityGroupId="urn:sg-app"),
        _resource(openstack.GROUP, "os-app", {"tags": ["mlps:zone=app"]}),
        _resource(openstack.RULE, "os-odd", {"direction": "ingress", "protocol": "tcp", "portRangeMin": "x",
                                             "remoteIpPrefix": APP}, securityGroupId="urn:os-app"),
    ]
    assert [r.ports for b in collect(PlanGraph(plan)).boundaries for r in b.rules] == [(1, 65535)] * 2


def test_an_alibaba_rule_naming_a_prefix_list_admits_its_ranges() -> None:
    def plan(*lists: PlanResource, **deps: str) -> list[PlanResource]:
        return [
            _resource(alicloud.GROUP, "sg-mgmt", {"tags": {"mlps:zone": "mgmt"}}),
            _resource(alicloud.RULE, "listed", {"type": "ingress", "policy": "accept", "ipProtocol": "tcp",
                                                "portRange": "2514/2514", "prefixListId": "pl-1"},
                      securityGroupId="urn:sg-mgmt", **deps),
            *lists,
        ]

    offices = _resource(alicloud_network.PREFIX_LIST, "pl",
                        {"entrys": [{"cidr": APP}, {"cidr": "10.9.0.0/24"}]})
    (group,) = collect(PlanGraph(plan(offices, prefixListId="urn:pl"))).boundaries
    assert [r.cidr for r in group.rules] == [APP, "10.9.0.0/24"]
    assert decide(group, "ingress", "tcp", 2514, APP, False).passes
    empty = _resource(alicloud_network.PREFIX_LIST, "pl", {"entrys": []})
    (group,) = collect(PlanGraph(plan(empty, prefixListId="urn:pl"))).boundaries
    assert group.rules == () and not decide(group, "ingress", "tcp", 2514, APP, False).passes
    (group,) = collect(PlanGraph(plan())).boundaries  # a list the plan does not build: not judged
    assert [r.group for r in group.rules] == ["prefix list pl-1"]
    step = decide(group, "ingress", "tcp", 2514, APP, False)
    assert step.passes is None and "prefix list pl-1" in step.text()
    ecs = _resource(alicloud_network.ECS_PREFIX_LIST, "pl", {"entries": [{"cidr": APP}]})
    (group,) = collect(PlanGraph(plan(ecs, prefixListId="urn:pl"))).boundaries
    assert [r.cidr for r in group.rules] == [APP]
    for unread in ("[unknown]", [{"cidr": APP}, "x"], [{"description": "no range"}]):
        later = _resource(alicloud_network.PREFIX_LIST, "pl", {"entrys": unread})
        (group,) = collect(PlanGraph(plan(later, prefixListId="urn:pl"))).boundaries
        assert [r.group for r in group.rules] == ["prefix list urn:pl"], unread


ACL_ID = "alicloud:alb/acl:Acl"


def _acl_front(acl: object, *extra: PlanResource, acl_deps: tuple[str, ...] = ()) -> list[PlanResource]:
    plan = _alibaba_front('[{"HTTPS": 443}]')
    config = next(x for x in plan if x.name == "cfg")
    listeners = [{"port": 443, "protocol": "HTTPS", "aclConfig": acl}] if acl is not None else \
        [{"port": 443, "protocol": "HTTPS"}]
    plan[plan.index(config)] = dataclasses.replace(
        config, props={**config.props, "spec": {"listeners": listeners}},
        deps={"spec": ("urn:alb", *acl_deps)})
    return [*plan, *extra]


@pytest.mark.parametrize(("acl", "sources", "refused"), [
    (None, ("0.0.0.0/0",), ()),
    ({}, ("0.0.0.0/0",), ()),
    ({"aclType": "White", "aclEntries": ["198.51.100.0/24"]}, ("198.51.100.0/24",), ()),
    ({"aclType": "White", "aclEntries": [{"entry": "198.51.100.0/24"}]}, ("198.51.100.0/24",), ()),
    ({"aclType": "White", "aclEntries": []}, None, ()),  # the cloud's own pages disagree on it
    ({"aclType": "Black", "aclEntries": []}, ("0.0.0.0/0",), ()),
    ({"aclType": "Black", "aclEntries": ["not-a-range"]}, None, ()),
    ({"aclType": "White", "aclEntries": ["2001:db8::/32"]}, None, ()),  # ALB ACLs hold IPv4 only
    ({"aclType": "Black", "aclEntries": ["203.0.113.0/24"]}, ("0.0.0.0/0",), ("203.0.113.0/24",)),
    ({"aclType": "Black"}, ("0.0.0.0/0",), ()),
    ({"aclType": "Grey", "aclEntries": ["198.51.100.0/24"]}, None, ()),
    ({"aclEntries": ["198.51.100.0/24"]}, None, ()),
    ({"aclType": "White", "aclEntries": [443]}, None, ()),
    ({"aclType": "White", "aclIds": ["acl-made-elsewhere"]}, None, ()),
])
def test_an_alibaba_listener_hears_whom_its_acl_lets_in(
        acl: object, sources: tuple[str, ...] | None, refused: tuple[str, ...]) -> None:
    (li,) = collect(PlanGraph(_acl_front(acl))).listeners
    assert (li.sources, li.refused) == (sources, refused)


def test_an_acl_the_plan_builds_gives_its_entries_and_attached_entries() -> None:
    acl = _resource(ACL_ID, "acl", {"aclEntries": [{"entry": "198.51.100.0/24"}]})
    attached = _resource(alicloud_listeners.ACL_ENTRY, "acl-entry", {"entry": "192.0.2.0/24"},
                         aclId="urn:acl")
    white = {"aclType": "White", "aclIds": ["acl-1"]}
    (li,) = collect(PlanGraph(_acl_front(white, acl, attached, acl_deps=("urn:acl",)))).listeners
    assert (li.sources, li.refused) == (("198.51.100.0/24", "192.0.2.0/24"), ())
    # two ACLs named, one built: whom it hears is unknown
    (li,) = collect(PlanGraph(_acl_front({**white, "aclIds": ["acl-1", "acl-2"]}, acl, attached,
                                         acl_deps=("urn:acl",)))).listeners
    assert li.sources is None
    # an ACL the config does not depend on is not the one it names
    (li,) = collect(PlanGraph(_acl_front(white, acl, attached))).listeners
    assert li.sources is None
    # two listeners naming ACLs: the config's dependencies do not say whose the built one is
    plan = _acl_front(white, acl, attached, acl_deps=("urn:acl",))
    config = next(x for x in plan if x.name == "cfg")
    other = {"port": 80, "protocol": "HTTP", "aclConfig": {"aclType": "Black", "aclIds": ["acl-elsewhere"]}}
    plan[plan.index(config)] = dataclasses.replace(config, props={
        **config.props, "spec": {"listeners": [*config.props["spec"]["listeners"], other]}})
    assert {li.port: li.sources for li in collect(PlanGraph(plan)).listeners} == {443: None, 80: None}
