"""The network of an Alibaba Cloud plan as neutral facts: its zones (the vSwitches tagged
``mlps:zone``, not the pods' or the transit router's own), their security groups with their
rules, and the VPC flow logs recording their traffic.

A rule naming a group instead of a range admits that group's members: ``self`` when it is the
rule's own group, else the other group's URN (``FirewallRule.group``). A rule naming a prefix
list the plan builds (a VPC or an ECS prefix list) is one rule per range of the list; one the
plan does not build, or whose ranges it cannot read, is judged like a rule naming another group.
A group denies inbound traffic unless a rule accepts everything from anywhere, denies outbound
traffic when a drop rule covers everything, and isolates its members with
``innerAccessPolicy: Drop``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from policy.facts import alicloud
from policy.facts.boundaries import Boundary, FirewallRule, Zone
from policy.facts.model import FlowLog, subject
from policy.facts.values import EVERY_PORT, port_range, whole

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

FLOW_LOG = "alicloud:vpc/flowLog:FlowLog"
PREFIX_LIST = "alicloud:vpc/prefixList:PrefixList"
ECS_PREFIX_LIST = "alicloud:ecs/ecsPrefixList:EcsPrefixList"
PREFIX_LISTS = {PREFIX_LIST: "entrys", ECS_PREFIX_LIST: "entries"}
"""The resources a rule's ``prefixListId`` may name, and the field holding their ranges."""


def _rule(r: PlanResource, group: PlanResource) -> FirewallRule:
    p = r.props
    named = r.deps.get("sourceSecurityGroupId", ())
    own = group.urn in named
    ranged = p.get("cidrIp") or p.get("ipv6CidrIp")
    other = "" if own or ranged else (named[0] if named else str(p.get("sourceSecurityGroupId") or ""))
    return FirewallRule(
        direction="egress" if p.get("type") == "egress" else "ingress",
        action="drop" if p.get("policy") == "drop" else "accept",
        protocol=str(p.get("ipProtocol") or "all"),
        ports=port_range(p.get("portRange") or "-1/-1") or EVERY_PORT,
        # a rule naming a group instead of a range: "self" for the group's own members, else ""
        cidr=str(p.get("cidrIp") or p.get("ipv6CidrIp") or ("self" if own else "")),
        priority=whole(p.get("priority")) or 1,
        group=other,
    )


def prefix_ranges(graph: PlanGraph, r: PlanResource) -> list[str] | None:
    """The ranges of the prefix list rule ``r`` names (None: the plan builds no such list, or
    does not know or cannot read its ranges)."""
    named = r.deps.get("prefixListId", ())
    lists = [(x, PREFIX_LISTS[x.type]) for x in graph.of_type(*PREFIX_LISTS) if x.urn in named]
    if not lists:
        return None
    entries = [x.props.get(field, []) for x, field in lists]
    if not all(isinstance(e, list) for e in entries):
        return None  # ranges the plan does not know yet
    ranges = [e.get("cidr") if isinstance(e, dict) else None for each in entries for e in each]
    if not all(isinstance(c, str) and c for c in ranges):
        return None
    return [str(c) for c in ranges]


def _rules(graph: PlanGraph, r: PlanResource, group: PlanResource) -> list[FirewallRule]:
    """A rule as the group applies it: one per range of the prefix list it names instead of a
    range or group (none for an empty list; one naming the list where the plan builds no such
    list, judged like a rule naming another group)."""
    rule = _rule(r, group)
    named = r.deps.get("prefixListId", ())
    if rule.cidr or rule.group or not (named or r.props.get("prefixListId")):
        return [rule]
    ranges = prefix_ranges(graph, r)
    if ranges is None:
        listed = named[0] if named else r.props["prefixListId"]
        return [dataclasses.replace(rule, group=f"prefix list {listed}")]
    return [dataclasses.replace(rule, cidr=c) for c in ranges]


def _everything(rule: FirewallRule) -> bool:
    return rule.protocol == "all" and rule.cidr in alicloud.ANYWHERE and rule.ports == (1, 65535)


def _boundary(graph: PlanGraph, group: PlanResource) -> Boundary:
    rules = tuple(y for x in graph.referencing(alicloud.RULE, "securityGroupId", group)
                  for y in _rules(graph, x, group))
    return Boundary(
        zone=str(alicloud.tags(group).get(alicloud.ZONE_TAG) or ""),
        provider=alicloud.PACKAGE,
        deny_ingress=not any(
            x.direction == "ingress" and x.action == "accept" and _everything(x) for x in rules
        ),
        deny_egress=any(x.direction == "egress" and x.action == "drop" and _everything(x) for x in rules),
        isolates_members=group.props.get("innerAccessPolicy") == "Drop",
        rules=rules,
        subject=subject(group),
        group=group.urn,
    )


def _zone_switch(switch: PlanResource) -> bool:
    return not {alicloud.POD_TAG, alicloud.TRANSIT_TAG} & set(alicloud.tags(switch))


def _zone_name(switch: PlanResource) -> str:
    return str(alicloud.tags(switch).get(alicloud.ZONE_TAG) or switch.props.get("vswitchName") or switch.name)


def _flow_log(graph: PlanGraph, r: PlanResource) -> FlowLog:
    """A flow log covers the zones of its VPC (``resourceType`` VPC) or its one vSwitch."""
    p = r.props
    targets = set(r.deps.get("resourceId", ()))
    switches = [s for s in graph.of_type(alicloud.SWITCH) if _zone_switch(s)]
    if p.get("resourceType") == "VPC":
        covered = [s for s in switches if targets & set(s.deps.get("vpcId", ()))]
    elif p.get("resourceType") == "VSwitch":
        covered = [s for s in switches if s.urn in targets]
    else:
        covered = []
    store = p.get("logStoreName")
    return FlowLog(
        name=str(p.get("flowLogName") or r.name),
        provider=alicloud.PACKAGE,
        zones=tuple(sorted(_zone_name(s) for s in covered)),
        all_traffic=p.get("trafficType") == "All",
        active=p.get("status", "Active") == "Active",
        sink=alicloud.sink_name(p.get("projectName"), store) if store else None,
        subject=subject(r),
    )


def zones(graph: PlanGraph) -> list[Zone]:
    """Every zone's vSwitch, with its range and availability zone."""
    return [Zone(_zone_name(r), alicloud.PACKAGE, str(r.props.get("cidrBlock") or ""), subject(r),
                 r.props.get("zoneId"))
            for r in graph.of_type(alicloud.SWITCH) if _zone_switch(r)]


def boundaries(graph: PlanGraph) -> list[Boundary]:
    """Every security group of the plan."""
    return [_boundary(graph, r) for r in graph.of_type(alicloud.GROUP)]


def flow_logs(graph: PlanGraph) -> list[FlowLog]:
    """Every VPC flow log of the plan."""
    return [_flow_log(graph, r) for r in graph.of_type(FLOW_LOG)]
